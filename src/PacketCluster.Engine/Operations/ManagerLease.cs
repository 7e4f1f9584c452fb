using k8s;
using k8s.Autorest;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;

namespace PacketCluster.Engine.Operations;

/// <summary>
/// The manager's Lease in a management cluster, held by a command that reconciles there itself (New-PacketCluster
/// -BootstrapKubeconfig), so a manager running in that cluster stands by instead of racing it for the same devices.
/// A manager that already leads keeps the work: <see cref="TryAcquireAsync"/> then returns null and the command only
/// waits. Disposing stops renewing; a manager takes over once the lease expires.
/// </summary>
public sealed class ManagerLease : IAsyncDisposable
{
    private readonly LeaderElector _elector;
    private readonly CancellationTokenSource _stop;
    private readonly CancellationTokenSource _lost;
    private readonly Task _running;

    private ManagerLease(LeaderElector elector, CancellationTokenSource stop, CancellationTokenSource lost, Task running, string identity)
    {
        _elector = elector;
        _stop = stop;
        _lost = lost;
        _running = running;
        Identity = identity;
    }

    public string Identity { get; }

    /// <summary>Fires if the lease is lost (not renewed within the deadline): the holder must stop reconciling at once.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>The holder of a lease that has not expired, or null when nobody leads (none, released or expired).</summary>
    public static async Task<string?> LiveHolderAsync(IKubernetes client, ManagerOptions options, CancellationToken ct)
    {
        try
        {
            var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(options.LeaseName, options.LeaseNamespace, cancellationToken: ct).ConfigureAwait(false);
            var spec = lease.Spec;
            if (string.IsNullOrEmpty(spec?.HolderIdentity) || spec.RenewTime is not { } renewed) return null;
            var duration = TimeSpan.FromSeconds(spec.LeaseDurationSeconds ?? (int)options.LeaseDuration.TotalSeconds);
            return renewed.ToUniversalTime() + duration > DateTime.UtcNow ? spec.HolderIdentity : null;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>The Lease's namespace, made when missing (a manager without the rights to make it finds it made by the provider components).</summary>
    public static async Task EnsureNamespaceAsync(IKubernetes client, string ns, CancellationToken ct)
    {
        try
        {
            await Store.KubernetesStore.EnsureNamespaceAsync(client, ns, ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Forbidden)
        {
        }
    }

    /// <summary>
    /// Takes the lease when nobody holds it, waiting at most two lease durations (plus a retry) for the elector to get it.
    /// Null when another holder is live or wins the race: then that manager reconciles.
    /// </summary>
    public static async Task<ManagerLease?> TryAcquireAsync(IKubernetes client, ManagerOptions options, string identity, IEngineLog log, CancellationToken ct)
    {
        if (await LiveHolderAsync(client, options, ct).ConfigureAwait(false) is { } holder)
        {
            log.Verbose($"Manager '{holder}' holds {options.LeaseNamespace}/{options.LeaseName}: it reconciles, this command waits.");
            return null;
        }
        await EnsureNamespaceAsync(client, options.LeaseNamespace, ct).ConfigureAwait(false);
        var config = new LeaderElectionConfig(new LeaseLock(client, options.LeaseNamespace, options.LeaseName, identity))
        {
            LeaseDuration = options.LeaseDuration, RenewDeadline = options.RenewDeadline, RetryPeriod = options.RetryPeriod,
        };
        var elector = new LeaderElector(config);
        var started = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lost = new CancellationTokenSource();
        var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // The elector's callbacks run on its own thread: they only complete or cancel, never write.
        elector.OnStartedLeading += () => started.TrySetResult(true);
        elector.OnStoppedLeading += () => { started.TrySetResult(false); lost.Cancel(); };
        var running = Task.Run(async () =>
        {
            try { await elector.RunUntilLeadershipLostAsync(stop.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { }
            catch (Exception e) when (e is HttpRequestException or HttpOperationException or IOException)
            {
                started.TrySetException(e);
            }
            finally
            {
                started.TrySetResult(false);
                lost.Cancel();
            }
        }, CancellationToken.None);

        // An expired lease is taken only after the elector has watched it unrenewed for a lease duration of its own
        // (client-go's rule, independent of clocks); someone else winning it meanwhile leaves us waiting out the bound.
        var bound = Task.Delay(options.LeaseDuration * 2 + options.RetryPeriod, ct);
        var leading = await Task.WhenAny(started.Task, bound).ConfigureAwait(false) == started.Task && await started.Task.ConfigureAwait(false);
        var lease = new ManagerLease(elector, stop, lost, running, identity);
        if (leading)
        {
            log.Verbose($"Holding {options.LeaseNamespace}/{options.LeaseName} as '{identity}' while this command reconciles.");
            return lease;
        }
        await lease.DisposeAsync().ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _running.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _elector.Dispose();
        _stop.Dispose();
        _lost.Dispose();
    }
}
