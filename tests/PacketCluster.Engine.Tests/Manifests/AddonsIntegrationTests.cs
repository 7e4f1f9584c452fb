using PacketCluster.Engine.Manifests;
using PacketCluster.Engine.Tests.Kubernetes;
using Xunit;

namespace PacketCluster.Engine.Tests.Manifests;

/// <summary>addons.yaml against the real kube-apiserver 1.20.2 (server-side dry run: admission and validation run, nothing is stored).</summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class AddonsIntegrationTests(KubeControlPlane controlPlane)
{
    private const string PrivilegedForbidden = "securityContext.privileged: Forbidden: disallowed by cluster policy";

    private readonly Kubectl _kubectl = new(controlPlane);

    [Fact]
    public void Render_PassesServerSideDryRun()
    {
        var yaml = Addons.Render(ManifestTestValues.Addons());
        var path = _kubectl.WriteManifest("addons.yaml", yaml);
        var documents = ManifestAssertions.ParseDocuments(yaml).Count;

        var result = _kubectl.Run("apply", "--server-side", "--dry-run=server", "-f", path);

        var applied = result.StandardOutput.Split('\n').Count(l => l.EndsWith("serverside-applied (server dry run)", StringComparison.Ordinal));
        if (PrivilegedPodsAllowed())
        {
            Assert.True(result.ExitCode == 0, result.Describe());
            Assert.Equal(documents, applied);
        }
        else
        {
            // The shared control plane starts kube-apiserver without --allow-privileged=true, which kubeadm always
            // passes; the CSI node plugin must be privileged, so on this server exactly that one object is refused.
            Assert.Equal(documents - 1, applied);
            var errors = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var error = Assert.Single(errors);
            Assert.Contains("DaemonSet \"csi-packet-node\"", error);
            Assert.Contains(PrivilegedForbidden, error);
        }
    }

    private bool PrivilegedPodsAllowed()
    {
        var probe = _kubectl.WriteManifest("privileged-probe.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: privileged-probe\n  namespace: kube-system\n" +
            "spec:\n  containers:\n  - name: c\n    image: registry.k8s.io/pause:3.2\n    securityContext:\n      privileged: true\n");
        var result = _kubectl.Run("apply", "--server-side", "--dry-run=server", "-f", probe);
        if (result.ExitCode != 0 && !result.StandardError.Contains(PrivilegedForbidden, StringComparison.Ordinal))
        {
            throw new Xunit.Sdk.XunitException("The privileged-pod probe failed for another reason: " + result.Describe());
        }

        return result.ExitCode == 0;
    }
}
