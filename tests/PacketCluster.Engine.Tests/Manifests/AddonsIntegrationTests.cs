using PacketCluster.Engine.Manifests;
using PacketCluster.Engine.Tests.Kubernetes;
using Xunit;

namespace PacketCluster.Engine.Tests.Manifests;

/// <summary>addons.yaml against the real kube-apiserver 1.20.2 (server-side dry run: admission and validation run, nothing is stored).</summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class AddonsIntegrationTests(KubeControlPlane controlPlane)
{
    private readonly Kubectl _kubectl = new(controlPlane);

    [Fact]
    public void Render_PassesServerSideDryRun()
    {
        var yaml = Addons.Render(ManifestTestValues.Addons());
        var path = _kubectl.WriteManifest("addons.yaml", yaml);
        var documents = ManifestAssertions.ParseDocuments(yaml).Count;

        var result = _kubectl.Run("apply", "--server-side", "--dry-run=server", "-f", path);

        var applied = result.StandardOutput.Split('\n').Count(l => l.EndsWith("serverside-applied (server dry run)", StringComparison.Ordinal));
        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Equal(documents, applied);
    }
}
