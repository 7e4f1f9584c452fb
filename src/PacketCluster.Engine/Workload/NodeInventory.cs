using System.Collections.Concurrent;

namespace PacketCluster.Engine.Workload;

/// <summary>
/// One Node list per workload cluster per <see cref="MaxAge"/>, shared by every Machine of that cluster (the Node
/// counterpart of the device inventory: O(clusters) requests, not O(machines)). While the API server is not up yet
/// (a control plane still booting), attempts back off from <see cref="BackoffBase"/> to <see cref="BackoffMax"/>, so
/// a cluster whose API never comes up costs a bounded trickle of connection attempts. Thread-safe.
/// </summary>
public sealed class NodeInventory
{
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan BackoffBase = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan BackoffMax = TimeSpan.FromSeconds(30);

    private readonly IWorkloadCluster _source;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Entry> _clusters = new(StringComparer.Ordinal);

    public NodeInventory(IWorkloadCluster source, TimeProvider? time = null, TimeSpan? maxAge = null)
    {
        _source = source ?? throw new ArgumentNullException(nameof(source));
        _time = time ?? TimeProvider.System;
        MaxAge = maxAge ?? DefaultMaxAge;
    }

    public TimeSpan MaxAge { get; }

    /// <summary>The workload clusters themselves, for the calls that are not Node lists.</summary>
    public IWorkloadCluster Clusters => _source;

    /// <summary>The cluster's Nodes from a list no older than <see cref="MaxAge"/>.</summary>
    /// <exception cref="WorkloadClusterUnavailableException">Not reachable now; <c>RetryAfter</c> says when to ask again.</exception>
    public async Task<IReadOnlyList<WorkloadNode>> NodesAsync(string ns, string clusterName, CancellationToken cancellationToken)
    {
        var entry = _clusters.GetOrAdd(ns + "/" + clusterName, _ => new Entry());
        await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            if (entry.Nodes is not null && now - entry.FetchedAt < MaxAge) return entry.Nodes;
            if (entry.LastError is not null && now < entry.NotBefore)
                throw new WorkloadClusterUnavailableException(clusterName, entry.LastError.Reason, entry.LastError) { RetryAfter = entry.NotBefore - now };
            try
            {
                entry.Nodes = await _source.ListNodesAsync(ns, clusterName, cancellationToken).ConfigureAwait(false);
                entry.FetchedAt = _time.GetUtcNow();
                entry.Failures = 0;
                entry.LastError = null;
                return entry.Nodes;
            }
            catch (WorkloadClusterUnavailableException e)
            {
                entry.Nodes = null;
                entry.Failures++;
                var wait = TimeSpan.FromTicks(Math.Min(BackoffBase.Ticks << Math.Min(entry.Failures - 1, 16), BackoffMax.Ticks));
                entry.NotBefore = _time.GetUtcNow() + wait;
                entry.LastError = e;
                // The same reason as the backoff's rethrow above: a condition message that flips between two wordings is
                // a status write per pass, and each write wakes the cluster's manager for another pass.
                throw new WorkloadClusterUnavailableException(clusterName, e.Reason, e) { RetryAfter = wait };
            }
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>Forgets the cluster's cached list (a watch saw a Node change): the next look lists again.</summary>
    public void Forget(string ns, string clusterName)
    {
        if (_clusters.TryGetValue(ns + "/" + clusterName, out var entry)) entry.Nodes = null;
    }

    /// <summary>Deletes the Node and forgets the cached list, so the next look does not see it.</summary>
    public async Task DeleteAsync(string ns, string clusterName, string nodeName, CancellationToken cancellationToken)
    {
        await _source.DeleteNodeAsync(ns, clusterName, nodeName, cancellationToken).ConfigureAwait(false);
        Forget(ns, clusterName);
    }

    private sealed class Entry
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public IReadOnlyList<WorkloadNode>? Nodes;
        public DateTimeOffset FetchedAt;
        public DateTimeOffset NotBefore;
        public int Failures;
        public WorkloadClusterUnavailableException? LastError;
    }
}
