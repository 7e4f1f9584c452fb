using k8s.Models;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Tests.Controllers;

/// <summary>
/// Stand-in for FileStore until the store branch lands: the IStateStore semantics (uid, resourceVersion conflicts,
/// generation on spec change, finalizers/deletionTimestamp) over JSON copies, so callers never share instances.
/// </summary>
internal sealed class ReplicaMemoryStore : IStateStore
{
    private readonly object _lock = new();
    private readonly Dictionary<(string Kind, string Ns, string Name), string> _objects = new();
    private long _version;
    private DateTimeOffset _clock = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public Task<T?> GetAsync<T>(string ns, string name, CancellationToken ct) where T : ResourceObject, new()
    {
        lock (_lock)
            return Task.FromResult(_objects.TryGetValue((typeof(T).Name, ns, name), out var json) ? ResourceCodec.FromJson<T>(json) : null);
    }

    public Task<IReadOnlyList<T>> ListAsync<T>(string ns, IReadOnlyDictionary<string, string>? matchLabels, CancellationToken ct) where T : ResourceObject, new()
    {
        lock (_lock)
        {
            IReadOnlyList<T> items = _objects.Where(p => p.Key.Kind == typeof(T).Name && p.Key.Ns == ns)
                .OrderBy(p => p.Key.Name, StringComparer.Ordinal)
                .Select(p => ResourceCodec.FromJson<T>(p.Value))
                .Where(o => matchLabels is null || matchLabels.All(l => o.Metadata.Labels?.GetValueOrDefault(l.Key) == l.Value))
                .ToList();
            return Task.FromResult(items);
        }
    }

    public Task<T> CreateAsync<T>(T resource, CancellationToken ct) where T : ResourceObject, new()
    {
        lock (_lock)
        {
            var key = Key(resource);
            if (_objects.ContainsKey(key)) throw new StoreConflictException(StoreConflictException.ExistsErrorId, $"{resource} exists.");
            var copy = ResourceCodec.FromJson<T>(ResourceCodec.ToJson(resource));
            copy.Metadata.Uid = Guid.NewGuid().ToString();
            copy.Metadata.Generation = 1;
            copy.Metadata.CreationTimestamp = _clock = _clock.AddSeconds(1);
            copy.Metadata.DeletionTimestamp = null;
            return Task.FromResult(Save(key, copy));
        }
    }

    public Task<T> UpdateAsync<T>(T resource, CancellationToken ct) where T : ResourceObject, new() => Write(resource, statusOnly: false);

    public Task<T> UpdateStatusAsync<T>(T resource, CancellationToken ct) where T : ResourceObject, new() => Write(resource, statusOnly: true);

    public Task DeleteAsync<T>(string ns, string name, CancellationToken ct) where T : ResourceObject, new()
    {
        lock (_lock)
        {
            var key = (typeof(T).Name, ns, name);
            if (!_objects.TryGetValue(key, out var json)) return Task.CompletedTask;
            var current = ResourceCodec.FromJson<T>(json);
            if (current.Metadata.Finalizers is not { Count: > 0 }) _objects.Remove(key);
            else if (current.Metadata.DeletionTimestamp is null)
            {
                current.Metadata.DeletionTimestamp = _clock;
                Save(key, current);
            }
            return Task.CompletedTask;
        }
    }

    private Task<T> Write<T>(T resource, bool statusOnly) where T : ResourceObject, new()
    {
        lock (_lock)
        {
            var key = Key(resource);
            if (!_objects.TryGetValue(key, out var json)) throw new StoreConflictException(StoreConflictException.ModifiedErrorId, $"{resource} is gone.");
            var current = ResourceCodec.FromJson<T>(json);
            if (current.Metadata.ResourceVersion != resource.Metadata.ResourceVersion)
                throw new StoreConflictException(StoreConflictException.ModifiedErrorId, $"{resource} changed since it was read.");
            var incoming = ResourceCodec.ToNode(resource)!.AsObject();
            var stored = ResourceCodec.ToNode(current)!.AsObject();
            if (statusOnly)
            {
                stored["status"] = incoming["status"]?.DeepClone();
                return Task.FromResult(Save(key, stored.Deserialize<T>()));
            }
            incoming["status"] = stored["status"]?.DeepClone();
            var next = incoming.Deserialize<T>();
            next.Metadata.Uid = current.Metadata.Uid;
            next.Metadata.CreationTimestamp = current.Metadata.CreationTimestamp;
            next.Metadata.DeletionTimestamp = current.Metadata.DeletionTimestamp;
            var specChanged = stored["spec"]?.ToJsonString() != incoming["spec"]?.ToJsonString();
            next.Metadata.Generation = current.Metadata.Generation + (specChanged ? 1 : 0);
            if (next.Metadata.DeletionTimestamp is not null && next.Metadata.Finalizers is not { Count: > 0 })
            {
                _objects.Remove(key);
                return Task.FromResult(next);
            }
            return Task.FromResult(Save(key, next));
        }
    }

    private T Save<T>((string, string, string) key, T resource) where T : ResourceObject
    {
        resource.Metadata.ResourceVersion = (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture);
        _objects[key] = ResourceCodec.ToJson(resource);
        return ResourceCodec.FromJson<T>(_objects[key]);
    }

    private static (string, string, string) Key<T>(T resource) where T : ResourceObject =>
        (typeof(T).Name, resource.Metadata.Namespace ?? string.Empty, resource.Name);

    public Task<V1Secret?> GetSecretAsync(string ns, string name, CancellationToken ct) => throw new NotSupportedException();
    public Task<IReadOnlyList<V1Secret>> ListSecretsAsync(string ns, CancellationToken ct) => throw new NotSupportedException();
    public Task<V1Secret> CreateSecretAsync(V1Secret secret, CancellationToken ct) => throw new NotSupportedException();
    public Task DeleteSecretAsync(string ns, string name, CancellationToken ct) => throw new NotSupportedException();
}

internal static class JsonNodeExtensions
{
    public static T Deserialize<T>(this System.Text.Json.Nodes.JsonObject node) where T : class => ResourceCodec.FromJson<T>(node.ToJsonString());
}
