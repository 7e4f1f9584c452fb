using System.Text.Json;
using k8s.Models;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Simulator.Tests.Controllers;

/// <summary>
/// A test double of <see cref="IStateStore"/> with the interface's semantics (uid, resourceVersion, finalizers,
/// deletionTimestamp, copies in and out). Stands in until the FileStore lands; kept for tests that want no disk.
/// </summary>
public sealed class InMemoryStateStore : IStateStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly object _gate = new();
    private readonly Dictionary<(string Kind, string Ns, string Name), string> _objects = new();
    private readonly Dictionary<(string Ns, string Name), string> _secrets = new();
    private long _version;

    private static T Copy<T>(string json) => JsonSerializer.Deserialize<T>(json, Json)!;
    private static string Key<T>() => typeof(T).Name;

    public Task<T?> GetAsync<T>(string ns, string name, CancellationToken ct) where T : ResourceObject, new()
    {
        lock (_gate) return Task.FromResult(_objects.TryGetValue((Key<T>(), ns, name), out var json) ? Copy<T>(json) : null);
    }

    public Task<IReadOnlyList<T>> ListAsync<T>(string ns, IReadOnlyDictionary<string, string>? matchLabels, CancellationToken ct) where T : ResourceObject, new()
    {
        lock (_gate)
        {
            IReadOnlyList<T> items = _objects.Where(kv => kv.Key.Kind == Key<T>() && kv.Key.Ns == ns).Select(kv => Copy<T>(kv.Value))
                .Where(o => matchLabels is null || matchLabels.All(l => o.Metadata.Labels?.GetValueOrDefault(l.Key) == l.Value))
                .OrderBy(o => o.Name, StringComparer.Ordinal).ToList();
            return Task.FromResult(items);
        }
    }

    public Task<T> CreateAsync<T>(T resource, CancellationToken ct) where T : ResourceObject, new()
    {
        lock (_gate)
        {
            var ns = resource.Metadata.Namespace ??= "default";
            var key = (Key<T>(), ns, resource.Name);
            if (_objects.ContainsKey(key)) throw new StoreConflictException(StoreConflictException.ExistsErrorId, $"{resource} exists");
            var copy = Copy<T>(JsonSerializer.Serialize(resource, Json));
            copy.Metadata.Uid = Guid.NewGuid().ToString();
            copy.Metadata.ResourceVersion = (++_version).ToString();
            copy.Metadata.Generation = 1;
            copy.Metadata.CreationTimestamp = DateTimeOffset.UtcNow;
            _objects[key] = JsonSerializer.Serialize(copy, Json);
            return Task.FromResult(Copy<T>(_objects[key]));
        }
    }

    public Task<T> UpdateAsync<T>(T resource, CancellationToken ct) where T : ResourceObject, new() => Write(resource, status: false);

    public Task<T> UpdateStatusAsync<T>(T resource, CancellationToken ct) where T : ResourceObject, new() => Write(resource, status: true);

    private Task<T> Write<T>(T resource, bool status) where T : ResourceObject, new()
    {
        lock (_gate)
        {
            var key = (Key<T>(), resource.Metadata.Namespace ?? "default", resource.Name);
            if (!_objects.TryGetValue(key, out var json)) throw new StoreConflictException(StoreConflictException.ModifiedErrorId, $"{resource} is gone");
            var stored = JsonSerializer.Deserialize<JsonElement>(json, Json);
            var current = Copy<T>(json);
            if (current.Metadata.ResourceVersion != resource.Metadata.ResourceVersion)
                throw new StoreConflictException(StoreConflictException.ModifiedErrorId, $"{resource} changed");
            var incoming = JsonSerializer.SerializeToNode(resource, Json)!.AsObject();
            var result = JsonSerializer.SerializeToNode(current, Json)!.AsObject();
            if (status) result["status"] = incoming["status"]?.DeepClone();
            else
            {
                var statusNode = result["status"]?.DeepClone();
                var meta = incoming["metadata"]!.AsObject();
                foreach (var field in new[] { "uid", "creationTimestamp", "deletionTimestamp", "generation" }) meta[field] = result["metadata"]![field]?.DeepClone();
                var specChanged = incoming["spec"]?.ToJsonString() != result["spec"]?.ToJsonString();
                result = incoming.DeepClone().AsObject();
                result["status"] = statusNode;
                if (specChanged) result["metadata"]!["generation"] = (current.Metadata.Generation ?? 1) + 1;
            }
            result["metadata"]!["resourceVersion"] = (++_version).ToString();
            var updated = result.Deserialize<T>(Json)!;
            if (updated.Metadata.DeletionTimestamp is not null && updated.Metadata.Finalizers is not { Count: > 0 }) _objects.Remove(key);
            else _objects[key] = JsonSerializer.Serialize(updated, Json);
            _ = stored;
            return Task.FromResult(updated);
        }
    }

    public Task DeleteAsync<T>(string ns, string name, CancellationToken ct) where T : ResourceObject, new()
    {
        lock (_gate)
        {
            var key = (Key<T>(), ns, name);
            if (!_objects.TryGetValue(key, out var json)) return Task.CompletedTask;
            var current = Copy<T>(json);
            if (current.Metadata.Finalizers is { Count: > 0 })
            {
                current.Metadata.DeletionTimestamp ??= DateTimeOffset.UtcNow;
                current.Metadata.ResourceVersion = (++_version).ToString();
                _objects[key] = JsonSerializer.Serialize(current, Json);
            }
            else _objects.Remove(key);
            return Task.CompletedTask;
        }
    }

    public Task<V1Secret?> GetSecretAsync(string ns, string name, CancellationToken ct)
    {
        lock (_gate) return Task.FromResult(_secrets.TryGetValue((ns, name), out var json) ? Copy<V1Secret>(json) : null);
    }

    public Task<IReadOnlyList<V1Secret>> ListSecretsAsync(string ns, CancellationToken ct)
    {
        lock (_gate)
        {
            IReadOnlyList<V1Secret> items = _secrets.Where(kv => kv.Key.Ns == ns).Select(kv => Copy<V1Secret>(kv.Value)).ToList();
            return Task.FromResult(items);
        }
    }

    public Task<V1Secret> CreateSecretAsync(V1Secret secret, CancellationToken ct)
    {
        lock (_gate)
        {
            var key = (secret.Metadata.NamespaceProperty ?? "default", secret.Metadata.Name);
            if (_secrets.ContainsKey(key)) throw new StoreConflictException(StoreConflictException.ExistsErrorId, $"Secret {key} exists");
            _secrets[key] = JsonSerializer.Serialize(secret, Json);
            return Task.FromResult(Copy<V1Secret>(_secrets[key]));
        }
    }

    public Task DeleteSecretAsync(string ns, string name, CancellationToken ct)
    {
        lock (_gate) _secrets.Remove((ns, name));
        return Task.CompletedTask;
    }
}
