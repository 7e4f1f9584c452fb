using Xunit;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>All tests that need a Kubernetes API server join this collection and share one <see cref="KubeControlPlane"/>.</summary>
[CollectionDefinition(Name)]
public sealed class KubeControlPlaneCollection : ICollectionFixture<KubeControlPlane>
{
    public const string Name = "kube-control-plane";
}
