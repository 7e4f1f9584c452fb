using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>Condition types the reconcilers write, and setting one (lastTransitionTime moves only when the status changes).</summary>
public static class Conditions
{
    /// <summary>Cluster: the CA, etcd CA, front-proxy CA and service-account key Secrets exist.</summary>
    public const string CertificatesReady = "CertificatesReady";

    /// <summary>Cluster: an elastic IP is reserved and recorded as status.apiEndpoints[0].</summary>
    public const string EndpointReady = "EndpointReady";

    /// <summary>Machine: its userdata could be rendered (cluster endpoint, PKI and bootstrap token known).</summary>
    public const string BootstrapReady = "BootstrapReady";

    /// <summary>Machine: its device exists and is active.</summary>
    public const string DeviceReady = "DeviceReady";

    /// <summary>Machine (first control plane): the cluster's elastic IP is on its device.</summary>
    public const string EndpointAssigned = "EndpointAssigned";

    /// <summary>Cluster: the API server behind the elastic IP answers (HA clusters: health-checked every few seconds).</summary>
    public const string EndpointHealthy = "EndpointHealthy";

    /// <summary>Cluster: the last move of the elastic IP to another control plane (reason Moved), with from, to and why.</summary>
    public const string EndpointFailover = "EndpointFailover";

    /// <summary>Control-plane Machine: its stacked etcd member is started and healthy.</summary>
    public const string EtcdMemberHealthy = "EtcdMemberHealthy";

    /// <summary>Control-plane Machine being deleted: its etcd member was removed (its device may go).</summary>
    public const string EtcdMemberRemoved = "EtcdMemberRemoved";

    /// <summary>Machine: the workload cluster has a Node with this machine's providerID, and it is Ready.</summary>
    public const string NodeReady = "NodeReady";

    /// <summary>
    /// Machine: its Node's kubelet runs the Kubernetes version the machine asks for (spec.versions.kubelet). False
    /// (VersionMismatch) names the version that runs, so a Machine never silently claims a version no Node runs.
    /// </summary>
    public const string KubeletVersionMatches = "KubeletVersionMatches";

    /// <summary>Machine added after the cluster came up: its bootstrap token was made in the running cluster (revoked once it joined).</summary>
    public const string BootstrapTokenRegistered = "BootstrapTokenRegistered";

    /// <summary>A Machine being deleted: its Node was cordoned and its pods evicted before the device goes (Cluster API's drain).</summary>
    public const string NodeDrained = "NodeDrained";

    /// <summary>The node's kubelet serving certificate request was approved (its names and addresses are the device's), so logs and metrics reach it.</summary>
    public const string KubeletServingApproved = "KubeletServingApproved";

    /// <summary>
    /// Machine checked by a MachineHealthCheck: its Node is healthy (True), or why not (False: UnhealthyNode,
    /// NodeNotFound, NodeStartupTimeout, MachineFailed), and, while it is replaced, Remediating.
    /// </summary>
    public const string HealthCheckSucceeded = "HealthCheckSucceeded";

    /// <summary>MachineHealthCheck: remediation may run (True), or why it stands still (TooManyUnhealthy, NodesUnavailable, InvalidSpec).</summary>
    public const string RemediationAllowed = "RemediationAllowed";

    public static void Set(ref List<Condition>? conditions, string type, bool status, string reason, string? message, DateTimeOffset now)
    {
        conditions ??= new List<Condition>();
        var value = status ? "True" : "False";
        var existing = conditions.FirstOrDefault(c => c.Type == type);
        if (existing is null)
        {
            conditions.Add(new Condition { Type = type, Status = value, Reason = reason, Message = message, LastTransitionTime = now, Severity = status ? null : "Info" });
            return;
        }
        if (existing.Status != value) existing.LastTransitionTime = now;
        existing.Status = value;
        existing.Reason = reason;
        existing.Message = message;
        existing.Severity = status ? null : "Info";
    }

    public static bool IsTrue(IEnumerable<Condition>? conditions, string type) =>
        conditions?.Any(c => c.Type == type && c.Status == "True") == true;
}
