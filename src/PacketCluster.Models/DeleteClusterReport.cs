namespace PacketCluster.Models;

/// <summary>What deleting a cluster removed, and anything it could not.</summary>
public sealed record DeleteClusterReport(string ClusterName, int DevicesDeleted, int IpReservationsReleased, IReadOnlyList<string> Leftovers)
{
    /// <summary>Resources with the cluster's name that are not this cluster's (another cluster of the same name, or name-tag-only ones without -IncludeUntagged): never touched.</summary>
    public IReadOnlyList<string> LeftAlone { get; init; } = [];

    /// <summary>The contexts, users and clusters of this cluster removed from the kubeconfig New-PacketCluster merged it into.</summary>
    public IReadOnlyList<string> KubeconfigEntriesRemoved { get; init; } = [];
}
