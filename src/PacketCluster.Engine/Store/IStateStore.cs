using k8s.Models;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Store;

/// <summary>
/// Where the Cluster API objects and their Secrets live. Reconcilers are written once against this interface;
/// <c>FileStore</c> (one cluster folder of YAML files) is the embedded default, a Kubernetes-backed store (custom
/// resources) comes later. Semantics follow the Kubernetes API so both behave alike:
/// <list type="bullet">
/// <item>Create assigns metadata.uid, resourceVersion, creationTimestamp and generation 1; an existing name is
/// <see cref="StoreConflictException"/> (ErrorId "ObjectExists").</item>
/// <item>Update and UpdateStatus require the object's current resourceVersion (optimistic concurrency; a stale one is
/// <see cref="StoreConflictException"/>, ErrorId "ObjectModified"). Update ignores status and bumps generation when
/// the spec changed; UpdateStatus changes only status.</item>
/// <item>Delete of an object with finalizers only sets metadata.deletionTimestamp; the object goes when its last
/// finalizer is removed by an Update. Without finalizers it goes at once. Deleting a missing object is not an error.</item>
/// <item>Get of a missing object returns null.</item>
/// </list>
/// Implementations are safe for concurrent use within one process.
/// </summary>
public interface IStateStore
{
    Task<T?> GetAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : ResourceObject, new();

    /// <summary>Objects of a kind in a namespace, optionally only those whose labels include every pair of <paramref name="matchLabels"/>.</summary>
    Task<IReadOnlyList<T>> ListAsync<T>(string @namespace, IReadOnlyDictionary<string, string>? matchLabels, CancellationToken cancellationToken) where T : ResourceObject, new();

    Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken) where T : ResourceObject, new();

    Task<T> UpdateAsync<T>(T resource, CancellationToken cancellationToken) where T : ResourceObject, new();

    Task<T> UpdateStatusAsync<T>(T resource, CancellationToken cancellationToken) where T : ResourceObject, new();

    Task DeleteAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : ResourceObject, new();

    Task<V1Secret?> GetSecretAsync(string @namespace, string name, CancellationToken cancellationToken);

    Task<IReadOnlyList<V1Secret>> ListSecretsAsync(string @namespace, CancellationToken cancellationToken);

    /// <summary>Creates the Secret; an existing name is <see cref="StoreConflictException"/> ("ObjectExists").</summary>
    Task<V1Secret> CreateSecretAsync(V1Secret secret, CancellationToken cancellationToken);

    Task DeleteSecretAsync(string @namespace, string name, CancellationToken cancellationToken);
}
