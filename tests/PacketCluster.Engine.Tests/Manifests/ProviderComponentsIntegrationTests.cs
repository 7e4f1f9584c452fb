using k8s;
using PacketCluster.Engine.Manifests;
using PacketCluster.Engine.Tests.Kubernetes;
using Xunit;

namespace PacketCluster.Engine.Tests.Manifests;

/// <summary>provider-components.yaml on the real kube-apiserver 1.20.2, applied for real with kubectl 1.32.</summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class ProviderComponentsIntegrationTests(KubeControlPlane controlPlane)
{
    private readonly Kubectl _kubectl = new(controlPlane);

    [Fact]
    public async Task Render_AppliesServerSideInOnePassAndAgainUnchanged()
    {
        // One pass is enough on an empty cluster: kubectl applies documents in file order and the Namespace is
        // the first one, so the namespaced objects after it find it. The second pass shows re-running is safe.
        var path = _kubectl.WriteManifest("provider-components.yaml", ProviderComponents.Render(ManifestTestValues.ProviderComponents()));

        var first = _kubectl.Succeed(Apply(path));
        var second = _kubectl.Succeed(Apply(path));

        Assert.Contains("namespace/cluster-api-provider-packet-system serverside-applied", first);
        Assert.Contains("deployment.apps/cluster-api-provider-packet-controller-manager serverside-applied", first);
        Assert.Equal(14, first.Trim().Split('\n').Length);
        Assert.Equal(14, second.Trim().Split('\n').Length);

        using var client = controlPlane.CreateClient();
        var secret = await client.CoreV1.ReadNamespacedSecretAsync(ProviderComponents.CredentialsSecretName, ProviderComponents.Namespace);
        Assert.Equal(ManifestTestValues.ApiKey, System.Text.Encoding.UTF8.GetString(secret.Data["apiKey"]));
        Assert.Equal(ManifestTestValues.ProjectId, System.Text.Encoding.UTF8.GetString(secret.Data["projectID"]));

        var configMap = await client.CoreV1.ReadNamespacedConfigMapAsync(ProviderComponents.MachineConfigsConfigMapName, ProviderComponents.Namespace);
        Assert.Equal(ManifestTestValues.MachineConfigsYaml, configMap.Data[ProviderComponents.MachineConfigsKey]);

        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(ProviderComponents.DeploymentName, ProviderComponents.Namespace);
        Assert.Equal("ghcr.io/packetcluster/manager:0.1.0", deployment.Spec.Template.Spec.Containers[0].Image);
    }

    /// <summary>
    /// Applied as the engine applies them (its field manager): other tests of the shared control plane apply the same
    /// objects through the engine (pivot, bootstrap cluster), and another manager would conflict on their fields.
    /// </summary>
    private static string[] Apply(string path) => ["apply", "--server-side", $"--field-manager={ManifestApplier.FieldManager}", "-f", path];

    [Fact]
    public void ManagerServiceAccount_MayDoWhatTheManagerNeeds()
    {
        var path = _kubectl.WriteManifest("provider-components.yaml", ProviderComponents.Render(ManifestTestValues.ProviderComponents()));
        _kubectl.Succeed(Apply(path));
        var manager = $"system:serviceaccount:{ProviderComponents.Namespace}:{ProviderComponents.ServiceAccountName}";

        // RBAC decisions from the real authorizer: the seed's role could not touch Secrets (defect 7a).
        string[][] allowed =
        [
            ["create", "secrets", "-n", "default"],
            ["update", "secrets", "-n", "default"],
            ["delete", "machines.cluster.k8s.io", "-n", "default"],
            ["patch", "machines.cluster.k8s.io", "--subresource=status", "-n", "default"],
            ["update", "machinedeployments.cluster.k8s.io", "--subresource=scale", "-n", "default"],
            ["delete", "nodes"],
            ["update", "leases.coordination.k8s.io", "-n", ProviderComponents.Namespace],
        ];
        foreach (var request in allowed)
        {
            Assert.Equal("yes", _kubectl.Succeed(["auth", "can-i", .. request, "--as", manager]).Trim());
        }

        // Leases only in its own namespace.
        var elsewhere = _kubectl.Run("auth", "can-i", "update", "leases.coordination.k8s.io", "-n", "default", "--as", manager);
        Assert.Equal("no", elsewhere.StandardOutput.Trim());
    }
}
