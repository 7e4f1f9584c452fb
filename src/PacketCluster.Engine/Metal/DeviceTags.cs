namespace PacketCluster.Engine.Metal;

/// <summary>
/// Every device tag PacketCluster writes or reads, in one place. The seed's spellings are kept so devices made by
/// the 2019 provider can be adopted (PRODUCT.md §3).
/// </summary>
public static class DeviceTags
{
    public const string MachineUidPrefix = "cluster-api-provider-packet:machine-uid:";
    public const string ClusterIdPrefix = "cluster-api-provider-packet:cluster-id:";

    /// <summary>
    /// The cluster's unique identity (its cluster-uid annotation). The seed's cluster-id tag holds only the name, and
    /// two clusters of one name in one project are a normal day: ownership is decided by this tag.
    /// </summary>
    public const string ClusterUidPrefix = "cluster-api-provider-packet:cluster-uid:";
    public const string RolePrefix = "kubernetes.io/role:";
    public const string ControlPlaneRole = "master";
    public const string WorkerRole = "node";

    public static string ClusterId(string clusterName) => ClusterIdPrefix + clusterName;
    public static string MachineUid(string uid) => MachineUidPrefix + uid;
    public static string ClusterUid(string uid) => ClusterUidPrefix + uid;
    public static string Role(bool controlPlane) => RolePrefix + (controlPlane ? ControlPlaneRole : WorkerRole);

    /// <summary>The cluster a device belongs to, from its tags; null for devices that are not ours.</summary>
    public static string? ClusterOf(IEnumerable<string> tags) => ValueOf(tags, ClusterIdPrefix);

    /// <summary>The unique identity of the cluster a device or reservation belongs to; null when it carries only the name tag (an older version, or made by hand).</summary>
    public static string? ClusterUidOf(IEnumerable<string> tags) => ValueOf(tags, ClusterUidPrefix);

    /// <summary>
    /// Tags only PacketCluster itself may write: a user's providerSpec tag with one of these prefixes could claim
    /// another cluster's identity or machine, so it is dropped.
    /// </summary>
    public static bool IsReserved(string tag) =>
        tag.StartsWith(MachineUidPrefix, StringComparison.Ordinal) || tag.StartsWith(ClusterIdPrefix, StringComparison.Ordinal)
        || tag.StartsWith(ClusterUidPrefix, StringComparison.Ordinal) || tag.StartsWith(RolePrefix, StringComparison.Ordinal);

    /// <summary>ControlPlane, Worker (the PowerShell-facing spelling; the tag says master or node), or null.</summary>
    public static string? RoleOf(IEnumerable<string> tags) => ValueOf(tags, RolePrefix) switch
    {
        ControlPlaneRole => Models.ClusterApi.MachineRoles.ControlPlane,
        WorkerRole => Models.ClusterApi.MachineRoles.Worker,
        _ => null,
    };

    private static string? ValueOf(IEnumerable<string> tags, string prefix) =>
        tags.FirstOrDefault(t => t.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
}
