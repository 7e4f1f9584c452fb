using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace PacketCluster.Simulator.Boot.Pods;

/// <summary>
/// The kubelet's pod loop: lists and watches the pods bound to this node (field selector <c>spec.nodeName</c>, with the
/// node's own credentials, which the Node authorizer limits to them) and hands each to its <see cref="PodWorker"/>.
/// A watch the server ends is resumed; one that is too old (410) lists again and drops workers of pods that are gone.
/// Errors back off from 1 s to 30 s; the loop runs until the kubelet stops.
/// </summary>
internal sealed class KubeletPods : IAsyncDisposable
{
    private const int WatchTimeoutSeconds = 300;

    private readonly NodePodsContext _node;
    private readonly Dictionary<string, PodWorker> _workers = [];
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;

    public KubeletPods(NodePodsContext node) => _node = node;

    public void Start() => _run = Task.Run(() => RunAsync(_stop.Token));

    /// <summary>The workers of the pods on this node now (for the kubelet API's log endpoint).</summary>
    public PodWorker? Find(string ns, string name)
    {
        lock (_gate)
            return _workers.Values.FirstOrDefault(w => w.Pod.Metadata.NamespaceProperty == ns && w.Pod.Metadata.Name == name && !w.Removed);
    }

    private string Selector => $"spec.nodeName={_node.NodeName}";

    private async Task RunAsync(CancellationToken stopping)
    {
        string? resourceVersion = null;
        var failures = 0;
        string? lastError = null;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    await ReadPodCidrAsync(stopping);
                    var list = await _node.Client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: Selector, cancellationToken: stopping);
                    var present = list.Items.Select(p => p.Metadata.Uid).ToHashSet();
                    foreach (var pod in list.Items) await SyncAsync(pod);
                    List<PodWorker> gone;
                    lock (_gate) gone = _workers.Values.Where(w => !present.Contains(w.Uid)).ToList();
                    foreach (var worker in gone) await ForgetAsync(worker.Uid);
                    resourceVersion = list.Metadata.ResourceVersion;
                }
                resourceVersion = await FollowAsync(resourceVersion, stopping);
                failures = 0;
                lastError = null;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or KubernetesException or TaskCanceledException)
            {
                failures++;
                var message = e is HttpOperationException h ? $"{(int)h.Response.StatusCode}" : e.Message;
                if (message != lastError) _node.Say($"pods: watching the pods of {_node.NodeName} failed ({message}); retrying");
                lastError = message;
                try { await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(failures - 1, 5))), stopping); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>The Node's pod CIDR once kube-controller-manager has allocated it (read before each full list).</summary>
    private async Task ReadPodCidrAsync(CancellationToken stopping)
    {
        if (_node.Addresses.HasCidr) return;
        var node = await _node.Client.CoreV1.ReadNodeAsync(_node.NodeName, cancellationToken: stopping);
        _node.Addresses.UseCidr(node.Spec?.PodCIDR);
    }

    private async Task<string?> FollowAsync(string? resourceVersion, CancellationToken stopping)
    {
        Exception? failed = null;
        var events = _node.Client.CoreV1.WatchListPodForAllNamespacesAsync(fieldSelector: Selector, resourceVersion: resourceVersion,
            allowWatchBookmarks: true, timeoutSeconds: WatchTimeoutSeconds, onError: e => failed ??= e, cancellationToken: stopping);
        await foreach (var (type, pod) in events)
        {
            resourceVersion = pod.Metadata?.ResourceVersion ?? resourceVersion;
            if (type == WatchEventType.Bookmark) continue;
            if (!_node.Addresses.HasCidr) await ReadPodCidrAsync(stopping);
            if (type == WatchEventType.Deleted) await ForgetAsync(pod.Metadata!.Uid);
            else await SyncAsync(pod);
        }
        return failed switch
        {
            null => resourceVersion,
            KubernetesException { Status.Code: (int)HttpStatusCode.Gone } => null,
            _ => throw failed,
        };
    }

    private async Task SyncAsync(V1Pod pod)
    {
        PodWorker? worker;
        lock (_gate)
        {
            if (!_workers.TryGetValue(pod.Metadata.Uid, out worker))
            {
                // A pod that ended before this kubelet started (or whose deletion it already confirmed) needs nothing.
                if (pod.Status?.Phase is "Succeeded" or "Failed" && pod.Metadata.DeletionTimestamp is null) return;
                worker = new PodWorker(_node, pod);
                _workers[pod.Metadata.Uid] = worker;
            }
        }
        await worker.SyncAsync(pod);
    }

    private async Task ForgetAsync(string uid)
    {
        PodWorker? worker;
        lock (_gate)
        {
            if (!_workers.Remove(uid, out worker)) return;
        }
        await worker.DisposeAsync();
    }

    /// <summary>Stops the loop and every pod's containers (the device stops): no API calls, each bounded.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await _run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        List<PodWorker> workers;
        lock (_gate)
        {
            workers = _workers.Values.ToList();
            _workers.Clear();
        }
        await Task.WhenAll(workers.Select(w => w.DisposeAsync().AsTask()));
        _stop.Dispose();
    }
}
