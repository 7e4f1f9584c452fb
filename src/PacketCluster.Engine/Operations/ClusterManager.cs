using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Operations;

/// <summary>How the manager runs: which namespace it serves, its lease, and its pace.</summary>
public sealed record ManagerOptions
{
    /// <summary>Namespace of the Cluster API objects it reconciles.</summary>
    public string Namespace { get; init; } = ClusterOperations.DefaultNamespace;

    /// <summary>False: reconcile at once, without a Lease (a single manager, or tests).</summary>
    public bool LeaderElection { get; init; } = true;
    /// <summary>
    /// The provider's namespace, where the manager Deployment runs (its POD_NAMESPACE): every manager of a cluster — the
    /// Deployment, Start-PacketClusterManager, a New-PacketCluster reconciling in a bootstrap cluster — elects on the
    /// same Lease, so only one of them reconciles. Made when missing.
    /// </summary>
    public string LeaseNamespace { get; init; } = Manifests.ProviderComponents.Namespace;
    public string LeaseName { get; init; } = "packetcluster-manager";
    public string Identity { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}";

    /// <summary>
    /// Kubernetes' controller defaults (15 s / 10 s / 2 s): a successor takes over within about 15 s of the leader's
    /// death, and a leader that cannot renew for 10 s stops reconciling before anyone else may start.
    /// </summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(15);
    public TimeSpan RenewDeadline { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan RetryPeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Every cluster is reconciled at least this often even when nothing changes (devices change behind our back).</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest wait before a cluster that asked to be requeued is reconciled again, and the device-list age.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(10);

    public int Concurrency { get; init; } = ClusterReconcileLoop.DefaultConcurrency;

    /// <summary>The machine-config catalogue (the provider components mount one); default: the shipped one.</summary>
    public Bootstrap.MachineConfigCatalogue? MachineConfigs { get; init; }
}

/// <summary>
/// The manager's loop (PRODUCT.md §2): watches the Cluster API objects in a Kubernetes store, and reconciles each
/// cluster whose objects changed, asked to be requeued, or is due for a resync — one cluster at a time per cluster,
/// several clusters side by side. With leader election only the Lease holder reconciles; losing the Lease stops the
/// loop at once. Used by the manager process and Start-PacketClusterManager.
/// </summary>
public sealed class ClusterManager
{
    private readonly KubernetesStore _store;
    private readonly PacketSession _session;
    private readonly IEngineLog _log;
    private readonly ManagerOptions _options;

    public ClusterManager(KubernetesStore store, PacketSession session, IEngineLog log, ManagerOptions? options = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _session = session ?? throw new ArgumentNullException(nameof(session));
        _log = log ?? NullEngineLog.Instance;
        _options = options ?? new ManagerOptions();
    }

    /// <summary>True while this manager holds the Lease (always true without leader election once running).</summary>
    public bool IsLeading { get; private set; }

    /// <summary>Cluster reconcile passes done (diagnostics, metrics, tests).</summary>
    public long Passes => Interlocked.Read(ref _passes);
    private long _passes;

    /// <summary>Passes per cluster name: whether every cluster had one since the start (the bench's restart figure, /metrics).</summary>
    public IReadOnlyDictionary<string, long> PassesByCluster => _passesByCluster;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, long> _passesByCluster = new(StringComparer.Ordinal);

    /// <summary>Watch events received (every object of each first list counts as one).</summary>
    public long WatchEvents => Interlocked.Read(ref _watchEvents);
    private long _watchEvents;

    /// <summary>Creates, updates and deletes of Cluster API objects sent to the API server; reads come from the watch cache.</summary>
    public long StoreWrites => Interlocked.Read(ref _writesOfEndedTerms) + (_cache?.Writes ?? 0);
    private long _writesOfEndedTerms;
    private CachingStore? _cache;

    /// <summary>Runs until <paramref name="cancellationToken"/> fires (graceful shutdown: passes in flight finish their API calls' cancellation).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        if (!_options.LeaderElection)
        {
            IsLeading = true;
            try { await ReconcileWhileAsync(cancellationToken).ConfigureAwait(false); }
            finally { IsLeading = false; }
            return;
        }

        var leaseLock = new LeaseLock(_store.Client, _options.LeaseNamespace, _options.LeaseName, _options.Identity);
        var config = new LeaderElectionConfig(leaseLock)
        {
            LeaseDuration = _options.LeaseDuration,
            RenewDeadline = _options.RenewDeadline,
            RetryPeriod = _options.RetryPeriod,
        };
        while (!cancellationToken.IsCancellationRequested)
        {
            using var elector = new LeaderElector(config);
            using var leading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task? work = null;
            elector.OnStartedLeading += () =>
            {
                IsLeading = true;
                _log.Verbose($"Manager {_options.Identity}: leading ({_options.LeaseNamespace}/{_options.LeaseName}).");
                work = Task.Run(() => ReconcileWhileAsync(leading.Token));
            };
            elector.OnStoppedLeading += () =>
            {
                IsLeading = false;
                _log.Verbose($"Manager {_options.Identity}: stopped leading.");
                leading.Cancel();
            };
            elector.OnNewLeader += leader => _log.Verbose($"Manager {_options.Identity}: the leader is {leader}.");
            try
            {
                await ManagerLease.EnsureNamespaceAsync(_store.Client, _options.LeaseNamespace, cancellationToken).ConfigureAwait(false);
                await elector.RunUntilLeadershipLostAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException or IOException)
            {
                // The API server is unreachable or refused the Lease: stand by and try again; never reconcile without it.
                _log.Warning($"Manager {_options.Identity}: leader election failed ({e.Message}); retrying in {_options.RetryPeriod.TotalSeconds:0.#} s.");
                await DiscoverControlPlanesAsync(cancellationToken).ConfigureAwait(false);
                await DelayQuietlyAsync(_options.RetryPeriod, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                IsLeading = false;
                leading.Cancel();
                if (work is not null)
                {
                    try { await work.ConfigureAwait(false); }
                    catch (OperationCanceledException) { }
                }
            }
        }
    }

    /// <summary>
    /// The endpoint did not answer: learn the other control planes' addresses from the Packet API (at most every 30 s),
    /// so this manager can reach the cluster, take the Lease and move the elastic IP (ControlPlaneDiscovery).
    /// </summary>
    private async Task DiscoverControlPlanesAsync(CancellationToken ct)
    {
        if (_store.Client is not k8s.Kubernetes { BaseUri: { } server } || DateTimeOffset.UtcNow - _lastDiscovery < TimeSpan.FromSeconds(30)) return;
        _lastDiscovery = DateTimeOffset.UtcNow;
        try
        {
            using var client = _session.CreateClient(_log);
            var found = await ControlPlane.ControlPlaneDiscovery.SeedAsync(client, _session.RequireProjectId(), server, ct).ConfigureAwait(false);
            if (found > 0) _log.Verbose($"Manager {_options.Identity}: {server.Host} does not answer; {found} control plane(s) of its cluster found through the Packet API.");
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            _log.Verbose($"Manager {_options.Identity}: the control planes behind {server.Host} could not be looked up ({e.Message}).");
        }
    }

    private DateTimeOffset _lastDiscovery = DateTimeOffset.MinValue;

    private static async Task DelayQuietlyAsync(TimeSpan delay, CancellationToken ct)
    {
        try { await Task.Delay(delay, ct).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    private async Task ReconcileWhileAsync(CancellationToken ct)
    {
        using var client = _session.CreateClient(_log);
        // Passes read the watched objects from memory; only writes, deletes and Secrets reach the API server.
        var cache = _cache = new CachingStore(_store, _options.Namespace);
        using var context = ClusterReconcileContext.Create(cache, client, _session.RequireProjectId(), _log,
            machineConfigs: _options.MachineConfigs, inventoryMaxAge: _options.PollInterval);
        var queue = new ClusterWorkQueue(TimeProvider.System);

        Task Watch<T>(Func<T, string?> clusterOf) where T : ResourceObject, new() =>
            cache.WatchAsync<T>(o =>
            {
                Interlocked.Increment(ref _watchEvents);
                if (clusterOf(o) is { } c) queue.Add(c);
            }, ct);
        var watches = new[]
        {
            Watch<Cluster>(c => c.Name),
            Watch<Machine>(m => m.ClusterName),
            Watch<MachineSet>(s => s.Metadata.Labels?.GetValueOrDefault(ClusterValidation.ClusterNameLabel)),
            Watch<MachineDeployment>(d => d.Metadata.Labels?.GetValueOrDefault(ClusterValidation.ClusterNameLabel)),
            Watch<MachineHealthCheck>(h => h.Spec.ClusterName),
        };
        var resync = ResyncAsync(cache, queue, ct);
        var workers = Enumerable.Range(0, Math.Max(1, Math.Min(_options.Concurrency, 4))).Select(_ => WorkAsync(queue, context, ct)).ToArray();
        try
        {
            await Task.WhenAll(watches.Append(resync).Concat(workers)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            Interlocked.Add(ref _writesOfEndedTerms, cache.Writes);
            _cache = null;
        }
    }

    private async Task ResyncAsync(CachingStore cache, ClusterWorkQueue queue, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.ResyncInterval);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            foreach (var cluster in await cache.ListAsync<Cluster>(_options.Namespace, null, ct).ConfigureAwait(false))
                queue.Add(cluster.Name);
    }

    private async Task WorkAsync(ClusterWorkQueue queue, ClusterReconcileContext context, CancellationToken ct)
    {
        while (true)
        {
            var cluster = await queue.TakeAsync(ct).ConfigureAwait(false);
            TimeSpan? again = null;
            try
            {
                var loop = new ClusterReconcileLoop(context, _options.Namespace, cluster, _options.Concurrency);
                var result = await loop.RunOnceAsync(ct).ConfigureAwait(false);
                again = result.RequeueAfterInterval is { } wait ? (wait < _options.PollInterval ? wait : _options.PollInterval) : null;
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e)
            {
                _log.Warning($"Reconciling cluster '{cluster}' failed: {e.Message} Retrying in {RequeueIntervals.ApiError.TotalSeconds:0} s.");
                again = RequeueIntervals.ApiError;
            }
            finally
            {
                Interlocked.Increment(ref _passes);
                _passesByCluster.AddOrUpdate(cluster, 1, (_, n) => n + 1);
                queue.ScheduleNext(cluster, again, ct);
                queue.Done(cluster);
            }
        }
    }
}
