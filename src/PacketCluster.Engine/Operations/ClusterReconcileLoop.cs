using PacketCluster.Engine.Api;
using PacketCluster.Engine.Controllers;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Operations;

/// <summary>
/// Drives every reconciler of one cluster: the Cluster, its MachineDeployments and MachineSets, then its Machines with
/// bounded concurrency, then its MachineHealthChecks. Used by the cmdlets (embedded store) and, later, by the manager. Every wait is bounded.
/// </summary>
public sealed class ClusterReconcileLoop
{
    private readonly ClusterReconcileContext _context;
    private readonly string _namespace;
    private readonly string _cluster;
    private readonly ClusterReconciler _clusterReconciler;
    private readonly MachineReconciler _machineReconciler;
    private readonly MachineSetReconciler _setReconciler;
    private readonly MachineDeploymentReconciler _deploymentReconciler;
    private readonly MachineHealthCheckReconciler _healthCheckReconciler;
    private readonly int _concurrency;

    /// <summary>
    /// Machines reconciled at once. Each is mostly waiting on the Packet API (a create answers in about a second), so
    /// 16 lets 100 machines be requested within a few seconds (PRODUCT.md §10: 1+N ready ≤ 1.3·D) while the client's
    /// 429 handling copes with the API's rate limit.
    /// </summary>
    public const int DefaultConcurrency = 16;

    /// <summary>Upper bound for -ThrottleLimit: beyond this the API's rate limit, not us, sets the pace.</summary>
    public const int MaxConcurrency = 64;

    public ClusterReconcileLoop(ClusterReconcileContext context, string @namespace, string clusterName, int concurrency = DefaultConcurrency)
    {
        _context = context;
        _namespace = @namespace;
        _cluster = clusterName;
        _concurrency = Math.Clamp(concurrency, 1, MaxConcurrency);
        _clusterReconciler = new ClusterReconciler(context);
        _machineReconciler = new MachineReconciler(context);
        _setReconciler = new MachineSetReconciler(context.Store, context.Log, context.Time);
        _deploymentReconciler = new MachineDeploymentReconciler(context.Store, context.Log, context.Time);
        _healthCheckReconciler = new MachineHealthCheckReconciler(context);
    }

    private IReadOnlyDictionary<string, string> Selector => new Dictionary<string, string> { [ClusterValidation.ClusterNameLabel] = _cluster };

    /// <summary>
    /// On a Cluster, stops every reconciler of it (Cluster API's convention): the pivot sets it on the source while the
    /// objects move, and Remove-PacketCluster on a pivoted cluster so its in-cluster manager stands still.
    /// </summary>
    public const string PausedAnnotation = "cluster.k8s.io/paused";

    public static bool IsPaused(Cluster? cluster) => cluster?.Metadata.Annotations?.ContainsKey(PausedAnnotation) == true;

    /// <summary>One pass over every object of the cluster; returns the shortest requeue any of them asked for.</summary>
    public async Task<ReconcileResult> RunOnceAsync(CancellationToken ct)
    {
        var result = ReconcileResult.Done;
        var cluster = await _context.Store.GetAsync<Cluster>(_namespace, _cluster, ct).ConfigureAwait(false);
        if (IsPaused(cluster))
        {
            _context.Log.Debug($"Cluster '{_cluster}' is paused ({PausedAnnotation}); nothing reconciled.");
            return ReconcileResult.Done;
        }
        if (cluster is not null)
            result = ReconcileResult.Combine(result, await _clusterReconciler.ReconcileAsync(_namespace, _cluster, ct).ConfigureAwait(false));
        foreach (var deployment in await _context.Store.ListAsync<MachineDeployment>(_namespace, Selector, ct).ConfigureAwait(false))
            result = ReconcileResult.Combine(result, await _deploymentReconciler.ReconcileAsync(_namespace, deployment.Name, ct).ConfigureAwait(false));
        foreach (var set in await _context.Store.ListAsync<MachineSet>(_namespace, Selector, ct).ConfigureAwait(false))
            result = ReconcileResult.Combine(result, await _setReconciler.ReconcileAsync(_namespace, set.Name, ct).ConfigureAwait(false));

        var machines = await _context.Store.ListAsync<Machine>(_namespace, Selector, ct).ConfigureAwait(false);
        using var gate = new SemaphoreSlim(_concurrency);
        var results = await Task.WhenAll(machines.Select(async m =>
        {
            await gate.WaitAsync(ct).ConfigureAwait(false);
            try { return await _machineReconciler.ReconcileAsync(_namespace, m.Name, ct, machines).ConfigureAwait(false); }
            finally { gate.Release(); }
        })).ConfigureAwait(false);
        result = results.Aggregate(result, ReconcileResult.Combine);

        // Last, from the Machines as this pass left them. Listed without a label selector: one written with kubectl may
        // name its cluster in spec.clusterName only.
        var checks = (await _context.Store.ListAsync<MachineHealthCheck>(_namespace, null, ct).ConfigureAwait(false))
            .Where(h => h.Spec.ClusterName == _cluster).ToList();
        if (checks.Count > 0)
        {
            var current = await _context.Store.ListAsync<Machine>(_namespace, Selector, ct).ConfigureAwait(false);
            foreach (var check in checks)
                result = ReconcileResult.Combine(result, await _healthCheckReconciler.ReconcileAsync(_namespace, check.Name, cluster, current, ct).ConfigureAwait(false));
        }
        return result;
    }

    /// <summary>
    /// Reconciles until <paramref name="settled"/> says so, waiting between passes for the shortest requeue (clamped to
    /// <paramref name="maxWait"/>), up to <paramref name="timeout"/>.
    /// </summary>
    /// <param name="reconcile">False: only watch the store while someone else (the cluster's manager) reconciles.</param>
    /// <param name="pause">Waits between passes instead of a plain delay (given the delay as its most): something that
    /// returns early when what the caller waits for may have changed (a Node watch).</param>
    public async Task RunUntilAsync(Func<ClusterSnapshot, bool> settled, TimeSpan timeout, TimeSpan maxWait, Action<ClusterSnapshot>? report, CancellationToken ct,
        bool reconcile = true, Func<TimeSpan, CancellationToken, Task>? pause = null)
    {
        var deadline = _context.Time.GetUtcNow() + timeout;
        while (true)
        {
            var result = reconcile ? await RunOnceAsync(ct).ConfigureAwait(false) : ReconcileResult.Done;
            var snapshot = await SnapshotAsync(ct).ConfigureAwait(false);
            report?.Invoke(snapshot);
            if (settled(snapshot)) return;
            if (_context.Time.GetUtcNow() >= deadline)
                throw new PacketClusterException("ClusterOperationTimeout", ErrorKind.OperationTimeout,
                    (reconcile
                        ? $"Cluster '{_cluster}' did not settle within {timeout}: {snapshot.Describe()}. Run the command again to resume; nothing is lost."
                        : $"Cluster '{_cluster}' did not settle within {timeout}: {snapshot.Describe()}. Its manager reconciles it since the pivot: check that it runs (the provider-components Deployment, or Start-PacketClusterManager)."),
                    "Run the command again to resume (nothing is lost), or Get-PacketCluster and Get-PacketMachine to see what is still pending.", _cluster);
            var wait = result.RequeueAfterInterval is { } requeue && requeue < maxWait ? requeue : maxWait;
            wait = wait < TimeSpan.FromMilliseconds(50) ? TimeSpan.FromMilliseconds(50) : wait;
            await (pause is null ? Task.Delay(wait, _context.Time, ct) : pause(wait, ct)).ConfigureAwait(false);
        }
    }

    public async Task<ClusterSnapshot> SnapshotAsync(CancellationToken ct) => new(
        await _context.Store.GetAsync<Cluster>(_namespace, _cluster, ct).ConfigureAwait(false),
        await _context.Store.ListAsync<Machine>(_namespace, Selector, ct).ConfigureAwait(false),
        await _context.Store.ListAsync<MachineDeployment>(_namespace, Selector, ct).ConfigureAwait(false),
        await _context.Store.ListAsync<MachineSet>(_namespace, Selector, ct).ConfigureAwait(false));
}

/// <summary>The cluster's objects as stored at one moment.</summary>
public sealed record ClusterSnapshot(Cluster? Cluster, IReadOnlyList<Machine> Machines, IReadOnlyList<MachineDeployment> Deployments, IReadOnlyList<MachineSet> Sets)
{
    public int Count(string phase) => Machines.Count(m => m.Status?.Phase == phase);

    public string Describe() =>
        $"cluster {Cluster?.Status?.Phase ?? "gone"}; machines: " +
        (Machines.Count == 0 ? "none" : string.Join(", ", Machines.GroupBy(m => m.Status?.Phase ?? "Pending").Select(g => $"{g.Count()} {g.Key}")));
}
