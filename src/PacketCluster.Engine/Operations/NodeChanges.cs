using k8s;
using k8s.Autorest;

namespace PacketCluster.Engine.Operations;

/// <summary>
/// A watch of the workload cluster's Nodes that ends the create's Nodes wait as soon as one changes, instead of a fixed
/// poll interval (the last Node Ready was seen up to a poll plus the Node list's age late). Costs one watch request to
/// the workload API server and no Packet API request. Events are coalesced for <see cref="Settle"/>, so a hundred
/// kubelets registering at once make a few passes, not a hundred. Watch failures back off from 1 s to 30 s.
/// </summary>
internal sealed class NodeChanges : IAsyncDisposable
{
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);
    private const int WatchTimeoutSeconds = 300;

    private readonly SemaphoreSlim _changed = new(0, 1);
    private readonly CancellationTokenSource _stop;
    private readonly Task _watching;

    private NodeChanges(IKubernetes client, CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _watching = Task.Run(() => WatchAsync(client, _stop.Token));
    }

    public static NodeChanges Start(IKubernetes client, CancellationToken cancellationToken) => new(client ?? throw new ArgumentNullException(nameof(client)), cancellationToken);

    /// <summary>Returns when a Node changed (after <see cref="Settle"/>) or after <paramref name="atMost"/>, whichever is first.</summary>
    public async Task WaitAsync(TimeSpan atMost, CancellationToken cancellationToken)
    {
        if (await _changed.WaitAsync(atMost, cancellationToken).ConfigureAwait(false))
            await Task.Delay(Settle, cancellationToken).ConfigureAwait(false);
    }

    private async Task WatchAsync(IKubernetes client, CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var _ in client.CoreV1.WatchListNodeAsync(timeoutSeconds: WatchTimeoutSeconds, onError: _ => { }, cancellationToken: ct).ConfigureAwait(false))
                {
                    failures = 0;
                    if (_changed.CurrentCount == 0)
                    {
                        try { _changed.Release(); } catch (SemaphoreFullException) { }
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or KubernetesException)
            {
                failures++;
            }
            try { await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(failures, 5))), ct).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await _watching.ConfigureAwait(false); }
        catch (OperationCanceledException) { }
        _stop.Dispose();
        _changed.Dispose();
    }
}
