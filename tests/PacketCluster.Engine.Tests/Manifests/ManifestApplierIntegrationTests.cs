using k8s;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Manifests;
using PacketCluster.Engine.Tests.Kubernetes;
using Xunit;

namespace PacketCluster.Engine.Tests.Manifests;

/// <summary>The engine's own server-side apply (what New-PacketCluster and the pivot use) on the real kube-apiserver.</summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class ManifestApplierIntegrationTests(KubeControlPlane controlPlane)
{
    [Fact]
    public async Task Crds_and_provider_components_apply_in_one_pass_and_again_unchanged()
    {
        using var client = controlPlane.CreateClient();
        var applier = new ManifestApplier(client);
        var manifests = CustomResourceDefinitions.Render() + "\n---\n" + ProviderComponents.Render(ManifestTestValues.ProviderComponents());

        var first = await applier.ApplyAsync(manifests, "test", default);
        var deployment = await client.AppsV1.ReadNamespacedDeploymentAsync(ProviderComponents.DeploymentName, ProviderComponents.Namespace);
        var generation = deployment.Metadata.Generation;
        var second = await applier.ApplyAsync(manifests, "test", default);

        Assert.Equal(5 + 14, first.Count);
        Assert.Equal(first, second);
        Assert.Contains($"Namespace {ProviderComponents.Namespace}", first);
        Assert.Equal(generation, (await client.AppsV1.ReadNamespacedDeploymentAsync(ProviderComponents.DeploymentName, ProviderComponents.Namespace)).Metadata.Generation);
        var secret = await client.CoreV1.ReadNamespacedSecretAsync(ProviderComponents.CredentialsSecretName, ProviderComponents.Namespace);
        Assert.Equal(ManifestTestValues.ApiKey, System.Text.Encoding.UTF8.GetString(secret.Data["apiKey"]));
        Assert.Contains(ManifestApplier.FieldManager, deployment.Metadata.ManagedFields.Select(f => f.Manager));
    }

    [Fact]
    public async Task A_refused_object_names_itself_and_the_reason()
    {
        using var client = controlPlane.CreateClient();
        var yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applier-test\n  namespace: no-such-namespace-here\ndata:\n  a: b\n";

        var e = await Assert.ThrowsAsync<PacketClusterException>(() => new ManifestApplier(client).ApplyAsync(yaml, "test", default));

        Assert.Equal("ManifestApplyFailed", e.ErrorId);
        Assert.Contains("ConfigMap no-such-namespace-here/applier-test", e.Message);
        Assert.Contains("not found", e.Message);
    }

    [Fact]
    public void Every_kind_we_render_has_a_resource()
    {
        var rendered = CustomResourceDefinitions.Render() + "\n---\n" + ProviderComponents.Render(ManifestTestValues.ProviderComponents())
            + "\n---\n" + Addons.Render(ManifestTestValues.Addons());
        foreach (var document in YamlJsonBridge.Parse(rendered, "rendered").Where(d => d.Kind is not null))
            Assert.True(ManifestApplier.Kinds.ContainsKey(document.Kind!), $"{document.Describe()} has no entry in ManifestApplier.Kinds");
    }
}
