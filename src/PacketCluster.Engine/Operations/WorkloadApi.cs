using k8s;
using k8s.Autorest;

namespace PacketCluster.Engine.Operations;

/// <summary>Waiting for a new cluster's API server to answer at its endpoint.</summary>
internal static class WorkloadApi
{
    public static async Task WaitUntilAnsweringAsync(IKubernetes client, string clusterName, DateTimeOffset deadline, TimeSpan pollInterval, IEngineLog log, CancellationToken ct)
    {
        var pause = pollInterval < TimeSpan.FromSeconds(2) ? pollInterval : TimeSpan.FromSeconds(2);
        string? last = null;
        while (true)
        {
            log.Report(new EngineProgress("PacketCluster", "API server", $"waiting for the API server of {clusterName}" + (last is null ? "" : $" ({last})")));
            try
            {
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(TimeSpan.FromSeconds(10));
                await client.CoreV1.ReadNamespaceAsync("kube-system", cancellationToken: attempt.Token).ConfigureAwait(false);
                log.Verbose($"The API server of cluster '{clusterName}' answers.");
                return;
            }
            catch (Exception e) when (e is HttpRequestException or HttpOperationException || (e is OperationCanceledException && !ct.IsCancellationRequested))
            {
                last = e is HttpOperationException h ? $"{(int)h.Response.StatusCode} {h.Response.ReasonPhrase}" : e.InnerException?.Message ?? e.Message;
            }
            if (DateTimeOffset.UtcNow >= deadline)
                throw new PacketClusterException("ClusterApiNotAnswering", ErrorKind.OperationTimeout,
                    $"The API server of cluster '{clusterName}' did not answer in time (last: {last}). The control plane's console log (the simulator's /_simulator/devices/<id>/console, or the Packet SOS console) tells why; run New-PacketCluster again to keep waiting.",
                    "Read the control plane's console log to see why, then run New-PacketCluster again to keep waiting.", clusterName);
            await Task.Delay(pause, ct).ConfigureAwait(false);
        }
    }
}
