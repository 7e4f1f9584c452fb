using System.Text.Json;
using k8s;
using k8s.Models;
using PacketCluster.Engine.Api;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Store;

/// <summary>
/// The manager's read side (controller-runtime's cache-backed client): Clusters, Machines, MachineSets,
/// MachineDeployments and MachineHealthChecks of one namespace are read from memory that watches keep current, so a pass over a cluster of
/// 100 machines costs no list and no get on the API server, and allocates no list response.
/// <list type="bullet">
/// <item>Writes go to the Kubernetes store; the object the server answers replaces the cached one at once, and a
/// delete re-reads the object (deletionTimestamp, or gone), so a reconciler reads its own writes.</item>
/// <item>Changes by others arrive with their watch event, a moment later; a stale read ends in a 409 on update, which
/// the reconcilers already retry.</item>
/// <item>An older version never replaces a newer one: resourceVersions are compared as numbers when both are (etcd's
/// are), otherwise the later arrival wins.</item>
/// <item>Reads before a kind's first list wait for it. Secrets, and other namespaces, are read from the server.</item>
/// </list>
/// Each read returns fresh objects (decoded from the cached JSON), so callers may change what they get.
/// </summary>
public sealed class CachingStore : IStateStore
{
    private readonly KubernetesStore _server;
    private readonly string _namespace;
    private readonly Dictionary<Type, KindCache> _kinds;

    /// <summary>The cluster behind the cache (for what only it has: Events).</summary>
    public KubernetesStore Server => _server;

    public CachingStore(KubernetesStore server, string @namespace)
    {
        _server = server ?? throw new ArgumentNullException(nameof(server));
        _namespace = string.IsNullOrEmpty(@namespace) ? throw new ArgumentException("The cache serves one namespace.", nameof(@namespace)) : @namespace;
        _kinds = new[] { typeof(Cluster), typeof(Machine), typeof(MachineSet), typeof(MachineDeployment), typeof(MachineHealthCheck) }.ToDictionary(t => t, _ => new KindCache());
    }

    /// <summary>
    /// Keeps the kind's cache current until <paramref name="cancellationToken"/> fires, and hands every change to
    /// <paramref name="onChange"/> after the cache has it (a reconcile it queues reads what the event said, or newer).
    /// </summary>
    public Task WatchAsync<T>(Action<T> onChange, CancellationToken cancellationToken) where T : ResourceObject, new()
    {
        ArgumentNullException.ThrowIfNull(onChange);
        var kind = KindOf<T>();
        return _server.WatchAsync<T>(_namespace,
            (type, item, _) =>
            {
                if (type == WatchEventType.Deleted) kind.Remove(item.Name, Version.Of(item));
                else kind.Put(item);
                onChange(item);
                return Task.CompletedTask;
            },
            resumeFrom: null,
            onListed: (items, listVersion) => kind.DropUnlisted(items.Select(i => i.Name), Version.Parse(listVersion)),
            cancellationToken);
    }

    /// <summary>Creates, updates, status updates and deletes sent to the server (diagnostics, metrics).</summary>
    public long Writes => Interlocked.Read(ref _writes);
    private long _writes;

    public async Task<T?> GetAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : ResourceObject, new()
    {
        if (!Serves<T>(@namespace, out var kind)) return await _server.GetAsync<T>(@namespace, name, cancellationToken).ConfigureAwait(false);
        await kind.Synced.WaitAsync(cancellationToken).ConfigureAwait(false);
        return kind.Get<T>(name);
    }

    public async Task<IReadOnlyList<T>> ListAsync<T>(string @namespace, IReadOnlyDictionary<string, string>? matchLabels, CancellationToken cancellationToken)
        where T : ResourceObject, new()
    {
        if (!Serves<T>(@namespace, out var kind)) return await _server.ListAsync<T>(@namespace, matchLabels, cancellationToken).ConfigureAwait(false);
        await kind.Synced.WaitAsync(cancellationToken).ConfigureAwait(false);
        return kind.List<T>(matchLabels);
    }

    public async Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken) where T : ResourceObject, new() =>
        Remember(await Counted(_server.CreateAsync(resource, cancellationToken)).ConfigureAwait(false));

    public async Task<T> UpdateAsync<T>(T resource, CancellationToken cancellationToken) where T : ResourceObject, new() =>
        Remember(await Counted(_server.UpdateAsync(resource, cancellationToken)).ConfigureAwait(false));

    public async Task<T> UpdateStatusAsync<T>(T resource, CancellationToken cancellationToken) where T : ResourceObject, new() =>
        Remember(await Counted(_server.UpdateStatusAsync(resource, cancellationToken)).ConfigureAwait(false));

    /// <summary>Deletes, then re-reads the object from the server: with finalizers it stays, marked for deletion.</summary>
    public async Task DeleteAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : ResourceObject, new()
    {
        await Counted(_server.DeleteAsync<T>(@namespace, name, cancellationToken)).ConfigureAwait(false);
        if (!Serves<T>(@namespace, out var kind)) return;
        if (await _server.GetAsync<T>(@namespace, name, cancellationToken).ConfigureAwait(false) is { } left) kind.Put(left);
        else kind.Remove(name, version: null);
    }

    public Task<V1Secret?> GetSecretAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        _server.GetSecretAsync(@namespace, name, cancellationToken);

    public Task<IReadOnlyList<V1Secret>> ListSecretsAsync(string @namespace, CancellationToken cancellationToken) =>
        _server.ListSecretsAsync(@namespace, cancellationToken);

    public Task<V1Secret> CreateSecretAsync(V1Secret secret, CancellationToken cancellationToken) => _server.CreateSecretAsync(secret, cancellationToken);

    public Task DeleteSecretAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        _server.DeleteSecretAsync(@namespace, name, cancellationToken);

    private Task<T> Counted<T>(Task<T> write)
    {
        Interlocked.Increment(ref _writes);
        return write;
    }

    private Task Counted(Task write)
    {
        Interlocked.Increment(ref _writes);
        return write;
    }

    private T Remember<T>(T stored) where T : ResourceObject, new()
    {
        if (!Serves<T>(stored.Metadata.Namespace ?? string.Empty, out var kind)) return stored;
        // The update that removed the last finalizer of a deleted object deleted it: the server answers with its last state.
        if (stored.Metadata.DeletionTimestamp is not null && stored.Metadata.Finalizers is not { Count: > 0 }) kind.Remove(stored.Name, Version.Of(stored));
        else kind.Put(stored);
        return stored;
    }

    private bool Serves<T>(string @namespace, out KindCache kind) where T : ResourceObject, new()
    {
        kind = KindOf<T>();
        return string.Equals(@namespace, _namespace, StringComparison.Ordinal);
    }

    private KindCache KindOf<T>() where T : ResourceObject, new() =>
        _kinds.TryGetValue(typeof(T), out var kind) ? kind : throw new NotSupportedException($"The cache holds no {typeof(T).Name} objects.");

    /// <summary>A resourceVersion as a number, when it is one.</summary>
    private static class Version
    {
        public static ulong? Of(ResourceObject resource) => Parse(resource.Metadata.ResourceVersion);

        public static ulong? Parse(string? resourceVersion) => ulong.TryParse(resourceVersion, out var v) ? v : null;

        /// <summary>False only when both are numbers and <paramref name="incoming"/> is the older.</summary>
        public static bool IsAtLeast(ulong? incoming, ulong? cached) => incoming is not { } i || cached is not { } c || i >= c;
    }

    /// <summary>One kind's objects by name: the wire JSON (decoded per read) with the labels lists filter on.</summary>
    private sealed class KindCache
    {
        private readonly Dictionary<string, Entry> _objects = new(StringComparer.Ordinal);
        private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Synced => _synced.Task;

        public void Put(ResourceObject resource)
        {
            var entry = new Entry(Version.Of(resource), resource.Metadata.Labels is { Count: > 0 } labels ? new Dictionary<string, string>(labels) : null,
                JsonSerializer.SerializeToUtf8Bytes(resource, resource.GetType(), ResourceCodec.Options));
            lock (_objects)
            {
                if (_objects.TryGetValue(resource.Name, out var cached) && !Version.IsAtLeast(entry.Version, cached.Version)) return;
                _objects[resource.Name] = entry;
            }
        }

        /// <param name="version">The deletion's resourceVersion; null: gone whatever the cached version.</param>
        public void Remove(string name, ulong? version)
        {
            lock (_objects)
                if (_objects.TryGetValue(name, out var cached) && (version is null || Version.IsAtLeast(version, cached.Version)))
                    _objects.Remove(name);
        }

        /// <summary>
        /// After a fresh list's Added events (the first list, or one after a 410) have put its objects: what it no longer
        /// has is gone, unless this manager wrote it after the list was taken. Reads wait for the first.
        /// </summary>
        public void DropUnlisted(IEnumerable<string> listedNames, ulong? listVersion)
        {
            var listed = listedNames.ToHashSet(StringComparer.Ordinal);
            lock (_objects)
                foreach (var (name, entry) in _objects.ToList())
                    if (!listed.Contains(name) && Version.IsAtLeast(listVersion, entry.Version))
                        _objects.Remove(name);
            _synced.TrySetResult();
        }

        public T? Get<T>(string name) where T : class
        {
            byte[] json;
            lock (_objects)
            {
                if (!_objects.TryGetValue(name, out var entry)) return null;
                json = entry.Json;
            }
            return Decode<T>(json);
        }

        public IReadOnlyList<T> List<T>(IReadOnlyDictionary<string, string>? matchLabels) where T : class
        {
            List<byte[]> found;
            lock (_objects)
                found = _objects.Where(o => StoreLabels.Match(o.Value.Labels, matchLabels)).OrderBy(o => o.Key, StringComparer.Ordinal).Select(o => o.Value.Json).ToList();
            return found.Select(Decode<T>).ToList();
        }

        private static T Decode<T>(byte[] json) where T : class =>
            JsonSerializer.Deserialize<T>(json, ResourceCodec.Options) ?? throw new JsonException("empty cached object");

        private sealed record Entry(ulong? Version, IReadOnlyDictionary<string, string>? Labels, byte[] Json);
    }
}
