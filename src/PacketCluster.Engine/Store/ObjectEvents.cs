using k8s;
using k8s.Models;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Store;

/// <summary>
/// Kubernetes Events about our objects, so <c>kubectl describe</c> and <c>kubectl get events</c> show what the engine
/// did (an elastic-IP move). Only a store that is a Kubernetes cluster has an Event API: in a state folder the object's
/// conditions are the record. Best effort: an Event that cannot be written never fails the reconcile that made it.
/// </summary>
public static class ObjectEvents
{
    public const string Component = "packetcluster-manager";

    /// <returns>Whether an Event was written.</returns>
    public static async Task<bool> RecordAsync(IStateStore store, ResourceObject subject, string type, string reason, string message, IEngineLog log, CancellationToken cancellationToken)
    {
        var kubernetes = store switch { KubernetesStore k => k, CachingStore c => c.Server, _ => null };
        if (kubernetes is null || subject.Metadata.Name is not { } name) return false;
        var ns = subject.Metadata.Namespace ?? "default";
        var now = DateTime.UtcNow;
        var recorded = new Corev1Event
        {
            Metadata = new V1ObjectMeta { GenerateName = name + ".", NamespaceProperty = ns },
            InvolvedObject = new V1ObjectReference
            {
                ApiVersion = subject.ApiVersion, Kind = subject.Kind, Name = name, NamespaceProperty = ns, Uid = subject.Metadata.Uid,
            },
            Type = type, Reason = reason, Message = message.Length > 1024 ? message[..1024] : message,
            Source = new V1EventSource { Component = Component },
            ReportingComponent = Component, ReportingInstance = Environment.MachineName,
            FirstTimestamp = now, LastTimestamp = now, Count = 1,
        };
        try
        {
            await kubernetes.Client.CoreV1.CreateNamespacedEventAsync(recorded, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException)
        {
            log.Verbose($"{subject.Kind} {ns}/{name}: the {reason} event was not recorded ({e.Message}).");
            return false;
        }
    }
}
