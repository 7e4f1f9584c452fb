namespace PacketCluster.Engine.Controllers;

/// <summary>The finalizers the reconcilers own (Cluster API v1alpha1 names, so objects made by the seed's manager are adopted).</summary>
public static class Finalizers
{
    public const string Cluster = "cluster.cluster.k8s.io";
    public const string Machine = "machine.cluster.k8s.io";
}
