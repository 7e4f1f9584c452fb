using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace PacketCluster.Engine.Workload;

/// <summary>
/// Which pods a drain moves and how: through the Eviction API, so PodDisruptionBudgets hold (a refused eviction, 429,
/// is tried again on the next pass), as <c>kubectl drain</c> and Cluster API do.
/// </summary>
internal static class NodeDrain
{
    /// <summary>Pods that must leave before the node goes: not DaemonSet pods (they belong to every node), not mirror pods, not ones already terminating or finished.</summary>
    public static bool MustLeave(V1Pod pod) =>
        pod.Metadata.DeletionTimestamp is null
        && pod.Status?.Phase is not ("Succeeded" or "Failed")
        && pod.Metadata.OwnerReferences?.Any(o => o.Kind == "DaemonSet") != true
        && pod.Metadata.Annotations?.ContainsKey("kubernetes.io/config.mirror") != true;

    /// <summary>Evicts a pod: policy/v1 first, policy/v1beta1 for API servers before 1.22.</summary>
    public static async Task EvictAsync(IKubernetes client, V1Pod pod, CancellationToken ct)
    {
        foreach (var version in new[] { "policy/v1", "policy/v1beta1" })
        {
            var eviction = new V1Eviction
            {
                ApiVersion = version,
                Kind = "Eviction",
                Metadata = new V1ObjectMeta { Name = pod.Metadata.Name, NamespaceProperty = pod.Metadata.NamespaceProperty },
            };
            try
            {
                await client.CoreV1.CreateNamespacedPodEvictionAsync(eviction, pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: ct).ConfigureAwait(false);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotAcceptable or HttpStatusCode.UnsupportedMediaType
                                                   && version == "policy/v1")
            {
                // An API server that knows only policy/v1beta1 Evictions.
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.NotFound)
            {
                return; // A disruption budget says not now (the next pass tries again), or the pod is gone.
            }
        }
    }
}
