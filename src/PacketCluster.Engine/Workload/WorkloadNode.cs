namespace PacketCluster.Engine.Workload;

/// <summary>A Node of a workload cluster, as far as a Machine cares: which device it runs on and whether it is Ready.</summary>
/// <param name="KubeletVersion">What the Node's kubelet reports (status.nodeInfo.kubeletVersion, e.g. v1.20.2); null when unknown.</param>
/// <param name="Conditions">status.conditions (Ready True/False/Unknown since when, MemoryPressure, …), for health checks; null when not read.</param>
public sealed record WorkloadNode(string Name, string? Uid, string? ProviderId, bool Ready, string? KubeletVersion = null,
    IReadOnlyList<NodeCondition>? Conditions = null);

/// <summary>One Node condition: type, status (True, False, Unknown) and when that status began.</summary>
public sealed record NodeCondition(string Type, string Status, DateTimeOffset? LastTransitionTime);

/// <summary>What the reconcilers do in a workload cluster: read and delete Nodes, register and revoke bootstrap tokens (the real one: <see cref="KubernetesWorkloadCluster"/>).</summary>
public interface IWorkloadCluster
{
    /// <exception cref="WorkloadClusterUnavailableException">The cluster's API server cannot be reached or refused us.</exception>
    Task<IReadOnlyList<WorkloadNode>> ListNodesAsync(string ns, string clusterName, CancellationToken cancellationToken);

    /// <summary>Deletes a Node (a missing one is fine).</summary>
    /// <exception cref="WorkloadClusterUnavailableException">The cluster's API server cannot be reached or refused us.</exception>
    Task DeleteNodeAsync(string ns, string clusterName, string nodeName, CancellationToken cancellationToken);

    /// <summary>Creates the token's kube-system Secret (an existing one is kept), so a machine added later can join.</summary>
    /// <exception cref="WorkloadClusterUnavailableException">The cluster's API server cannot be reached or refused us.</exception>
    Task RegisterBootstrapTokenAsync(string ns, string clusterName, Pki.BootstrapToken token, DateTimeOffset expiration, CancellationToken cancellationToken);

    /// <summary>Deletes the token's Secret (a missing one is fine): a joined machine's token is of no further use.</summary>
    /// <exception cref="WorkloadClusterUnavailableException">The cluster's API server cannot be reached or refused us.</exception>
    Task RevokeBootstrapTokenAsync(string ns, string clusterName, string tokenId, CancellationToken cancellationToken);

    /// <summary>Whether the token's kube-system Secret exists (the API server accepts the token only then).</summary>
    /// <exception cref="WorkloadClusterUnavailableException">The cluster's API server cannot be reached or refused us.</exception>
    Task<bool> BootstrapTokenExistsAsync(string ns, string clusterName, string tokenId, CancellationToken cancellationToken);

    /// <summary>
    /// Cordons the Node and evicts its pods (not DaemonSet or mirror pods, which go with the node); returns how many are
    /// still running there (0: drained). A pod already terminating counts as gone: on a lost node it never finishes.
    /// </summary>
    /// <exception cref="WorkloadClusterUnavailableException">The cluster's API server cannot be reached or refused us.</exception>
    Task<int> DrainNodeAsync(string ns, string clusterName, string nodeName, CancellationToken cancellationToken) => Task.FromResult(0);

    /// <summary>
    /// Approves the node's pending kubelet serving certificate requests (signer kubernetes.io/kubelet-serving) whose
    /// subject is that node and whose names and addresses are all its own; true once one is approved (now or before).
    /// </summary>
    /// <exception cref="WorkloadClusterUnavailableException">The cluster's API server cannot be reached or refused us.</exception>
    Task<bool> ApproveKubeletServingAsync(string ns, string clusterName, string nodeName, IReadOnlyCollection<string> addresses, CancellationToken cancellationToken) =>
        Task.FromResult(false);
}

/// <summary>A workload cluster's API server did not answer (still booting, unreachable) or refused the engine.</summary>
public sealed class WorkloadClusterUnavailableException(string clusterName, string reason, Exception? inner = null)
    : PacketClusterException("WorkloadClusterUnavailable", ErrorKind.ConnectionError,
        $"The API server of cluster '{clusterName}' is not available yet: {reason}",
        "Wait for the cluster's control plane to boot (Get-PacketMachine shows its state), then try again.", clusterName, inner)
{
    /// <summary>Why, without the cluster's name around it: what a wrapper repeats, so the message reads the same on every pass.</summary>
    public string Reason { get; } = reason;

    /// <summary>How long callers should wait before asking again (set by the inventory's backoff).</summary>
    public TimeSpan RetryAfter { get; init; }
}
