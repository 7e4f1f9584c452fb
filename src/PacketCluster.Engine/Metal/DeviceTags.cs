namespace PacketCluster.Engine.Metal;

/// <summary>
/// Every device tag PacketCluster writes or reads, in one place. The seed's spellings are kept so devices made by
/// the 2019 provider can be adopted (PRODUCT.md §3).
/// </summary>
public static class DeviceTags
{
    public const string MachineUidPrefix = "cluster-api-provider-packet:machine-uid:";
    public const string ClusterIdPrefix = "cluster-api-provider-packet:cluster-id:";
    public const string RolePrefix = "kubernetes.io/role:";
    public const string ControlPlaneRole = "master";
    public const string WorkerRole = "node";

    public static string ClusterId(string clusterName) => ClusterIdPrefix + clusterName;
    public static string MachineUid(string uid) => MachineUidPrefix + uid;
    public static string Role(bool controlPlane) => RolePrefix + (controlPlane ? ControlPlaneRole : WorkerRole);

    /// <summary>The cluster a device belongs to, from its tags; null for devices that are not ours.</summary>
    public static string? ClusterOf(IEnumerable<string> tags) => ValueOf(tags, ClusterIdPrefix);

    /// <summary>control-plane, worker, or null.</summary>
    public static string? RoleOf(IEnumerable<string> tags) => ValueOf(tags, RolePrefix) switch
    {
        ControlPlaneRole => "control-plane",
        WorkerRole => "worker",
        _ => null,
    };

    private static string? ValueOf(IEnumerable<string> tags, string prefix) =>
        tags.FirstOrDefault(t => t.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
}
