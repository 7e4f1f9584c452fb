using k8s;
using k8s.Autorest;
using k8s.Models;
using PacketCluster.Engine.Manifests;

namespace PacketCluster.Engine.Operations;

/// <summary>Who holds a cluster's <c>packetcluster-manager</c> Lease: a manager pod in the cluster itself, or a process outside it.</summary>
public sealed record ManagerHolder(string Identity, string? PodName, string? NodeName)
{
    public bool InCluster => PodName is not null;

    public override string ToString() => InCluster
        ? $"manager pod {ProviderComponents.Namespace}/{PodName} on node {NodeName}"
        : $"manager '{Identity}' outside the cluster";
}

/// <summary>
/// A pivoted cluster manages itself once a pod of the provider components' manager Deployment holds the Lease. This
/// reads who holds it and waits for it after a pivot, giving up early (with what is wrong) when the manager pods
/// cannot run, and never waiting past its bound.
/// </summary>
public static class SelfManagement
{
    public const string ManagerPodSelector = "app.kubernetes.io/name=packetcluster-manager";

    /// <summary>Container states a manager pod does not leave by waiting.</summary>
    private static readonly HashSet<string> Blocked = new(StringComparer.Ordinal)
    {
        "ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "RunContainerError",
    };

    /// <summary>The live holder of the manager Lease (null when nobody leads), with its pod and node when it is a pod of this cluster.</summary>
    public static async Task<ManagerHolder?> HolderAsync(IKubernetes client, CancellationToken ct)
    {
        var options = new ManagerOptions();
        var identity = await ManagerLease.LiveHolderAsync(client, options, ct).ConfigureAwait(false);
        if (identity is null) return null;
        try
        {
            var pod = await client.CoreV1.ReadNamespacedPodAsync(identity, options.LeaseNamespace, cancellationToken: ct).ConfigureAwait(false);
            return new ManagerHolder(identity, pod.Metadata.Name, pod.Spec.NodeName);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return new ManagerHolder(identity, null, null);
        }
    }

    /// <summary>
    /// Waits until a manager pod of the cluster holds the Lease, reporting progress. Returns null (after a warning that
    /// says what to do) when the bound passes or every manager pod is stuck in a state waiting cannot fix.
    /// </summary>
    public static async Task<ManagerHolder?> WaitForInClusterManagerAsync(IKubernetes client, string clusterName, TimeSpan timeout, TimeSpan poll,
        IEngineLog log, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var blockedPasses = 0;
        var pods = "no manager pod yet";
        while (true)
        {
            try
            {
                var holder = await HolderAsync(client, ct).ConfigureAwait(false);
                if (holder is { InCluster: true })
                {
                    log.Report(new EngineProgress(ClusterOperations.Activity, "SelfManaged", $"{clusterName} manages itself: {holder}", 100));
                    return holder;
                }
                var list = await client.CoreV1.ListNamespacedPodAsync(ProviderComponents.Namespace, labelSelector: ManagerPodSelector, cancellationToken: ct).ConfigureAwait(false);
                pods = Describe(list.Items);
                var stuck = list.Items.Count > 0 ? list.Items.Select(StuckReason).ToList() : [];
                if (stuck.Count > 0 && stuck.All(r => r is not null))
                {
                    // Twice in a row: a pod that just failed a pull may be retrying already.
                    if (++blockedPasses >= 2)
                    {
                        log.Warning($"Cluster '{clusterName}' is not managing itself: its manager pods cannot run ({stuck[0]}). " +
                                    $"Check them with: kubectl -n {ProviderComponents.Namespace} describe pods -l {ManagerPodSelector}. " +
                                    "Until they run, Start-PacketClusterManager manages the cluster from outside.");
                        return null;
                    }
                }
                else blockedPasses = 0;
                var waitingFor = holder is null ? "no manager holds the Lease yet" : $"the Lease is held by {holder}";
                log.Report(new EngineProgress(ClusterOperations.Activity, "SelfManaged", $"waiting for {clusterName}'s own manager pod to take the packetcluster-manager Lease ({waitingFor}; {pods})"));
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                log.Verbose($"Reading the manager Lease of cluster '{clusterName}' failed ({e.Message}); trying again.");
            }
            if (DateTimeOffset.UtcNow + poll > deadline)
            {
                log.Warning($"No manager pod of cluster '{clusterName}' took the packetcluster-manager Lease within {timeout.TotalSeconds:F0} s ({pods}). " +
                            $"Check them with: kubectl -n {ProviderComponents.Namespace} get pods -l {ManagerPodSelector}. " +
                            "Until one does, Start-PacketClusterManager manages the cluster from outside.");
                return null;
            }
            await Task.Delay(poll, ct).ConfigureAwait(false);
        }
    }

    /// <summary>"ErrImagePull: …" when the pod's manager container is stuck in a state waiting does not fix; null otherwise.</summary>
    private static string? StuckReason(V1Pod pod)
    {
        var waiting = pod.Status?.ContainerStatuses?.Select(s => s.State?.Waiting).FirstOrDefault(w => w?.Reason is { } r && Blocked.Contains(r));
        return waiting is null ? null : $"{pod.Metadata.Name}: {waiting.Reason}: {waiting.Message}";
    }

    private static string Describe(IList<V1Pod> pods) => pods.Count == 0
        ? "no manager pod yet"
        : string.Join(", ", pods.GroupBy(p => p.Status?.Phase ?? "Pending").Select(g => $"{g.Count()} {g.Key}")) + " manager pod(s)";
}
