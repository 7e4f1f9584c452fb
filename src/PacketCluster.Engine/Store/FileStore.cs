using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using PacketCluster.Engine.Api;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Store;

/// <summary>
/// The embedded state store (PRODUCT.md §2): one folder per cluster, one YAML file per object, laid out as
/// <c>&lt;dir&gt;/&lt;kind plural&gt;/&lt;namespace&gt;/&lt;name&gt;.yaml</c> (clusters, machines, machinesets,
/// machinedeployments) and <c>&lt;dir&gt;/secrets/&lt;namespace&gt;/&lt;name&gt;.yaml</c>. Files are 0600 and folders 0700
/// on Unix, every write is atomic (temp + fsync + rename), and the folder is locked for the store's lifetime so a
/// second session cannot interleave writes. Semantics are those of <see cref="IStateStore"/>; as with the CRDs'
/// status subresource, Create ignores status (set it with UpdateStatus) and an empty namespace lists all namespaces.
/// Secrets have no finalizers here: DeleteSecretAsync removes the file at once.
/// <para>The lock relies on .NET's FileShare.None, i.e. flock(2) on Unix; DOTNET_SYSTEM_IO_DISABLEFILELOCKING turns it
/// off, and flock does not work across hosts on some network file systems, so keep the state folder local.</para>
/// </summary>
public sealed class FileStore : IOwnedStateStore, IDisposable
{
    /// <summary>The last resourceVersion handed out; persisted so versions never repeat across restarts.</summary>
    public const string ResourceVersionFileName = ".resource-version";

    private const string ObjectExtension = ".yaml";
    private const string StateFileInvalidErrorId = "StateFileInvalid";
    /// <summary>ErrorId of Update/UpdateStatus on an object that does not exist (ErrorKind.ObjectNotFound).</summary>
    public const string NotFoundErrorId = "ObjectNotFound";

    // Kubernetes' generateName alphabet: no vowels (no accidental words), no 0/1/3 (look like letters).
    private const string GeneratedNameAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private readonly ClusterStateLock _lock;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _mutex = new(1, 1);
    private long _resourceVersion;
    private volatile bool _disposed;

    private FileStore(string clusterDirectory, ClusterStateLock fileLock, long resourceVersion, TimeProvider time)
    {
        ClusterDirectory = clusterDirectory;
        _lock = fileLock;
        _resourceVersion = resourceVersion;
        _time = time;
    }

    /// <summary>The cluster folder this store owns (full path).</summary>
    public string ClusterDirectory { get; }

    /// <summary>
    /// Opens (creating if needed) the state folder of one cluster and locks it until the store is disposed.
    /// A folder locked by another store, in this process or another, is a <see cref="PacketClusterException"/>
    /// with ErrorId "ClusterStateLocked" naming the holder's pid.
    /// </summary>
    public static FileStore Open(string clusterDirectory, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(clusterDirectory);
        var directory = Path.GetFullPath(clusterDirectory);
        AtomicFile.CreatePrivateDirectory(directory);
        // A folder made by hand (or by an older version) may be wider than 0700; it holds keys.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(directory, AtomicFile.PrivateDirectory);

        var fileLock = ClusterStateLock.Acquire(directory);
        try
        {
            SweepTempFiles(directory);
            return new FileStore(directory, fileLock, ReadResourceVersion(directory), timeProvider ?? TimeProvider.System);
        }
        catch
        {
            fileLock.Dispose();
            throw;
        }
    }

    /// <summary>True when <paramref name="clusterDirectory"/> holds stored state (any object, or a resourceVersion counter).</summary>
    public static bool Exists(string clusterDirectory)
    {
        var directory = Path.GetFullPath(clusterDirectory);
        return Directory.Exists(directory)
            && (File.Exists(Path.Combine(directory, ResourceVersionFileName)) || EnumerateObjectFiles(directory).Any());
    }

    /// <summary>
    /// Removes a cluster's state folder ("delete cluster state"). Refuses with "ClusterStateLocked" while any store
    /// has it open. Returns false when there was no folder.
    /// </summary>
    public static bool DeleteDirectory(string clusterDirectory)
    {
        var directory = Path.GetFullPath(clusterDirectory);
        if (!Directory.Exists(directory)) return false;
        var fileLock = ClusterStateLock.Acquire(directory);
        if (OperatingSystem.IsWindows())
        {
            // Windows cannot delete a file that is open; the window between release and delete is accepted there.
            fileLock.Dispose();
            Directory.Delete(directory, recursive: true);
            return true;
        }
        try
        {
            // Unix unlinks open files, so the folder goes while the lock is still held: no other store can slip in.
            Directory.Delete(directory, recursive: true);
        }
        finally
        {
            fileLock.Dispose();
        }
        return true;
    }

    /// <summary>True when the folder holds at least one Cluster object (how <see cref="StateLocation.ListClusterNames"/> tells clusters from other folders).</summary>
    internal static bool HoldsCluster(string clusterDirectory) =>
        EnumerateObjectFiles(Path.Combine(clusterDirectory, ResourceNames.KindFolder<Cluster>()), depth: 1).Any();

    public async Task<T?> GetAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : ResourceObject, new()
    {
        ThrowIfDisposed();
        return await ReadObjectAsync<T>(ObjectPath<T>(@namespace, name), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<T>> ListAsync<T>(string @namespace, IReadOnlyDictionary<string, string>? matchLabels, CancellationToken cancellationToken)
        where T : ResourceObject, new()
    {
        ThrowIfDisposed();
        var items = new List<T>();
        foreach (var path in ListFiles(ResourceNames.KindFolder<T>(), @namespace))
        {
            // A file deleted between listing and reading is simply no longer there.
            if (await ReadObjectAsync<T>(path, cancellationToken).ConfigureAwait(false) is { } item && StoreLabels.Match(item.Metadata.Labels, matchLabels))
                items.Add(item);
        }
        return items
            .OrderBy(i => i.Metadata.Namespace, StringComparer.Ordinal)
            .ThenBy(i => i.Metadata.Name, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken) where T : ResourceObject, new()
    {
        ArgumentNullException.ThrowIfNull(resource);
        var metadata = resource.Metadata ?? throw new ArgumentException("The object has no metadata.", nameof(resource));
        var @namespace = string.IsNullOrEmpty(metadata.Namespace) ? ResourceNames.DefaultNamespace : ResourceNames.CheckNamespace(metadata.Namespace);
        var kind = KindOf<T>();
        if (string.IsNullOrEmpty(metadata.Name) && string.IsNullOrEmpty(metadata.GenerateName))
            throw new PacketClusterException("InvalidResourceName", ErrorKind.InvalidArgument,
                $"The {kind} has neither metadata.name nor metadata.generateName; give it a name.",
                "Set metadata.name (or metadata.generateName) on the object.", resource);

        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            var name = string.IsNullOrEmpty(metadata.Name) ? GenerateName<T>(@namespace, metadata.GenerateName!) : ResourceNames.CheckName(metadata.Name, kind);
            var path = ObjectPath<T>(@namespace, name);
            if (File.Exists(path))
                throw new StoreConflictException(StoreConflictException.ExistsErrorId,
                    $"{kind} '{@namespace}/{name}' already exists. Get it and update it, or pick another name.", resource);

            var node = ToObjectNode(resource);
            // The CRDs have a status subresource, so the API server drops status on create; the file store does the same.
            node.Remove("status");
            var created = FromNode<T>(node);
            created.ApiVersion ??= new T().ApiVersion;
            created.Kind ??= kind;
            var meta = created.Metadata;
            meta.Namespace = @namespace;
            meta.Name = name;
            meta.Uid = Guid.NewGuid().ToString();
            meta.CreationTimestamp = Now();
            meta.DeletionTimestamp = null;
            meta.Generation = 1;
            meta.ResourceVersion = await NextResourceVersionAsync(cancellationToken).ConfigureAwait(false);
            await WriteObjectAsync(path, created, cancellationToken).ConfigureAwait(false);
            return created;
        }
        finally
        {
            _mutex.Release();
        }
    }

    public Task<T> UpdateAsync<T>(T resource, CancellationToken cancellationToken) where T : ResourceObject, new() =>
        ModifyAsync(resource, cancellationToken, async (stored, @namespace, name, path) =>
        {
            var storedNode = ToObjectNode(stored);
            var node = ToObjectNode(resource);
            // Update never changes status; that is UpdateStatus' job (Kubernetes status subresource).
            node.Remove("status");
            if (storedNode["status"] is { } status) node["status"] = status.DeepClone();
            var specChanged = !JsonNode.DeepEquals(node["spec"], storedNode["spec"]);

            var updated = FromNode<T>(node);
            updated.ApiVersion ??= stored.ApiVersion;
            updated.Kind ??= stored.Kind;
            var meta = updated.Metadata;
            // Identity and lifecycle fields belong to the store, whatever the caller sent.
            meta.Namespace = @namespace;
            meta.Name = name;
            meta.GenerateName = stored.Metadata.GenerateName;
            meta.Uid = stored.Metadata.Uid;
            meta.CreationTimestamp = stored.Metadata.CreationTimestamp;
            meta.DeletionTimestamp = stored.Metadata.DeletionTimestamp;
            meta.Generation = (stored.Metadata.Generation ?? 1) + (specChanged ? 1 : 0);
            meta.ResourceVersion = stored.Metadata.ResourceVersion;

            if (stored.Metadata.DeletionTimestamp is not null
                && (meta.Finalizers ?? []).Except(stored.Metadata.Finalizers ?? []).ToList() is { Count: > 0 } added)
                throw new PacketClusterException("FinalizerAddedDuringDeletion", ErrorKind.InvalidOperation,
                    $"{stored.Kind} '{@namespace}/{name}' is being deleted; finalizers cannot be added to it ({string.Join(", ", added)}).",
                    "Wait for the deletion to finish, then create the object again if it is still needed.", resource);

            var finished = meta.DeletionTimestamp is not null && meta.Finalizers is not { Count: > 0 };
            // A no-op update writes nothing and keeps the resourceVersion, as the API server does.
            if (!finished && JsonNode.DeepEquals(ToObjectNode(updated), storedNode)) return stored;

            meta.ResourceVersion = await NextResourceVersionAsync(cancellationToken).ConfigureAwait(false);
            if (finished)
            {
                // The last finalizer is gone from an object being deleted: the deletion completes now.
                File.Delete(path);
                return updated;
            }
            await WriteObjectAsync(path, updated, cancellationToken).ConfigureAwait(false);
            return updated;
        });

    public Task<T> UpdateStatusAsync<T>(T resource, CancellationToken cancellationToken) where T : ResourceObject, new() =>
        ModifyAsync(resource, cancellationToken, async (stored, _, _, path) =>
        {
            var storedNode = ToObjectNode(stored);
            var node = storedNode.DeepClone().AsObject();
            node.Remove("status");
            if (ToObjectNode(resource)["status"] is { } status) node["status"] = status.DeepClone();
            if (JsonNode.DeepEquals(node, storedNode)) return stored;

            var updated = FromNode<T>(node);
            updated.Metadata.ResourceVersion = await NextResourceVersionAsync(cancellationToken).ConfigureAwait(false);
            await WriteObjectAsync(path, updated, cancellationToken).ConfigureAwait(false);
            return updated;
        });

    /// <summary>
    /// The shared start of Update and UpdateStatus: under the store's lock, read the stored object (ObjectNotFound when
    /// missing) and check the caller's resourceVersion and uid, then let <paramref name="modify"/> write.
    /// </summary>
    private async Task<T> ModifyAsync<T>(T resource, CancellationToken cancellationToken, Func<T, string, string, string, Task<T>> modify)
        where T : ResourceObject, new()
    {
        ArgumentNullException.ThrowIfNull(resource);
        var (@namespace, name) = Identify(resource);
        var path = ObjectPath<T>(@namespace, name);
        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            var stored = await ReadObjectAsync<T>(path, cancellationToken).ConfigureAwait(false) ?? throw NotFound<T>(@namespace, name, resource);
            CheckPreconditions(stored, resource);
            return await modify(stored, @namespace, name, path).ConfigureAwait(false);
        }
        finally
        {
            _mutex.Release();
        }
    }

    public async Task DeleteAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : ResourceObject, new()
    {
        var path = ObjectPath<T>(@namespace, name);
        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            if (await ReadObjectAsync<T>(path, cancellationToken).ConfigureAwait(false) is not { } stored) return;
            if (stored.Metadata.Finalizers is { Count: > 0 })
            {
                // Finalizers hold the object until its owners have cleaned up; only mark it (once).
                if (stored.Metadata.DeletionTimestamp is not null) return;
                stored.Metadata.DeletionTimestamp = Now();
                // As the API server does for graceful deletion: controllers watching generation see the change.
                if (stored.Metadata.Generation is > 0) stored.Metadata.Generation++;
                stored.Metadata.ResourceVersion = await NextResourceVersionAsync(cancellationToken).ConfigureAwait(false);
                await WriteObjectAsync(path, stored, cancellationToken).ConfigureAwait(false);
                return;
            }
            File.Delete(path);
        }
        finally
        {
            _mutex.Release();
        }
    }

    public async Task<V1Secret?> GetSecretAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        return await ReadSecretAsync(SecretPath(@namespace, name), cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<V1Secret>> ListSecretsAsync(string @namespace, CancellationToken cancellationToken)
    {
        ThrowIfDisposed();
        var items = new List<V1Secret>();
        foreach (var path in ListFiles(ResourceNames.SecretsFolder, @namespace))
            if (await ReadSecretAsync(path, cancellationToken).ConfigureAwait(false) is { } secret)
                items.Add(secret);
        return items
            .OrderBy(s => s.Metadata?.NamespaceProperty, StringComparer.Ordinal)
            .ThenBy(s => s.Metadata?.Name, StringComparer.Ordinal)
            .ToList();
    }

    public async Task<V1Secret> CreateSecretAsync(V1Secret secret, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var metadata = secret.Metadata ?? throw new ArgumentException("The Secret has no metadata.", nameof(secret));
        var @namespace = string.IsNullOrEmpty(metadata.NamespaceProperty) ? ResourceNames.DefaultNamespace : ResourceNames.CheckNamespace(metadata.NamespaceProperty);
        var name = ResourceNames.CheckName(metadata.Name, "Secret");
        var path = SecretPath(@namespace, name);

        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            if (File.Exists(path))
                throw new StoreConflictException(StoreConflictException.ExistsErrorId,
                    $"Secret '{@namespace}/{name}' already exists. Delete it first or pick another name.", $"{@namespace}/{name}");

            // A private copy: the caller keeps its object, and later changes to it do not reach the store.
            var created = KubernetesYaml.Deserialize<V1Secret>(KubernetesYaml.Serialize(secret));
            created.ApiVersion ??= V1Secret.KubeApiVersion;
            created.Kind ??= V1Secret.KubeKind;
            created.Type ??= "Opaque";
            // stringData is write-only in Kubernetes: folded into data on write.
            if (created.StringData is { Count: > 0 } stringData)
            {
                created.Data ??= new Dictionary<string, byte[]>();
                foreach (var (key, value) in stringData) created.Data[key] = Encoding.UTF8.GetBytes(value);
            }
            created.StringData = null;
            var meta = created.Metadata;
            meta.NamespaceProperty = @namespace;
            meta.Name = name;
            meta.Uid = Guid.NewGuid().ToString();
            meta.CreationTimestamp = Now().UtcDateTime;
            meta.DeletionTimestamp = null;
            meta.ResourceVersion = await NextResourceVersionAsync(cancellationToken).ConfigureAwait(false);

            var yaml = KubernetesYaml.Serialize(created);
            AtomicFile.CreatePrivateDirectory(Path.GetDirectoryName(path)!);
            await AtomicFile.WriteAsync(path, yaml, cancellationToken).ConfigureAwait(false);
            return KubernetesYaml.Deserialize<V1Secret>(yaml);
        }
        finally
        {
            _mutex.Release();
        }
    }

    public async Task DeleteSecretAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var path = SecretPath(@namespace, name);
        await _mutex.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfDisposed();
            File.Delete(path); // no error when missing: deleting a missing object is not an error
        }
        catch (DirectoryNotFoundException)
        {
        }
        finally
        {
            _mutex.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        // Let a write in flight finish before the lock goes.
        await _mutex.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed) return;
            _disposed = true;
            _lock.Dispose();
        }
        finally
        {
            _mutex.Release();
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _mutex.Wait();
        try
        {
            if (_disposed) return;
            _disposed = true;
            _lock.Dispose();
        }
        finally
        {
            _mutex.Release();
        }
    }

    public override string ToString() => $"FileStore({ClusterDirectory})";

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private DateTimeOffset Now()
    {
        // Kubernetes timestamps have whole seconds (RFC 3339), and files stay readable.
        var now = _time.GetUtcNow().UtcDateTime;
        return new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
    }

    /// <summary>Hands out the next resourceVersion; the counter is on disk before any object carries it, so a crash cannot reuse one.</summary>
    private async Task<string> NextResourceVersionAsync(CancellationToken cancellationToken)
    {
        var next = _resourceVersion + 1;
        await AtomicFile.WriteAsync(Path.Combine(ClusterDirectory, ResourceVersionFileName), next.ToString(CultureInfo.InvariantCulture) + "\n", cancellationToken)
            .ConfigureAwait(false);
        _resourceVersion = next;
        return next.ToString(CultureInfo.InvariantCulture);
    }

    private string ObjectPath<T>(string @namespace, string name) where T : ResourceObject, new() =>
        Path.Combine(ClusterDirectory, ResourceNames.KindFolder<T>(), ResourceNames.CheckNamespace(@namespace),
            ResourceNames.CheckName(name, KindOf<T>()) + ObjectExtension);

    private string SecretPath(string @namespace, string name) =>
        Path.Combine(ClusterDirectory, ResourceNames.SecretsFolder, ResourceNames.CheckNamespace(@namespace),
            ResourceNames.CheckName(name, "Secret") + ObjectExtension);

    /// <summary>Object files of one kind folder in one namespace, or in all namespaces when it is empty.</summary>
    private IEnumerable<string> ListFiles(string kindFolder, string? @namespace)
    {
        var root = Path.Combine(ClusterDirectory, kindFolder);
        return string.IsNullOrEmpty(@namespace)
            ? EnumerateObjectFiles(root, depth: 1)
            : EnumerateObjectFiles(Path.Combine(root, ResourceNames.CheckNamespace(@namespace)), depth: 0);
    }

    /// <summary>*.yaml files <paramref name="depth"/> folders below <paramref name="directory"/> (any depth when null), skipping temp and hidden files.</summary>
    private static IEnumerable<string> EnumerateObjectFiles(string directory, int? depth = null)
    {
        if (!Directory.Exists(directory)) return [];
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = depth != 0,
            MaxRecursionDepth = depth ?? int.MaxValue,
            IgnoreInaccessible = true,
            AttributesToSkip = 0,
        };
        return Directory.EnumerateFiles(directory, "*" + ObjectExtension, options)
            .Where(path => !Path.GetFileName(path).StartsWith('.') && !AtomicFile.IsTemp(path)
                && (depth is null || Path.GetRelativePath(directory, path).Count(c => c == Path.DirectorySeparatorChar) == depth));
    }

    private static async Task<T?> ReadObjectAsync<T>(string path, CancellationToken cancellationToken) where T : ResourceObject, new()
    {
        if (await ReadTextAsync(path, cancellationToken).ConfigureAwait(false) is not { } text) return null;
        var documents = YamlJsonBridge.Parse(text, path);
        if (documents.Count != 1)
            throw new PacketClusterException(StateFileInvalidErrorId, ErrorKind.InvalidData,
                $"{path}: expected one {KindOf<T>()} document, found {documents.Count}. Restore the file or remove it.",
                "Restore the file from a backup or remove it; if the cluster is gone, remove its state folder.", path);
        // Every read is a fresh object: callers may change what they get without touching the store.
        return ResourceCodec.Deserialize<T>(documents[0]);
    }

    private static async Task<V1Secret?> ReadSecretAsync(string path, CancellationToken cancellationToken)
    {
        if (await ReadTextAsync(path, cancellationToken).ConfigureAwait(false) is not { } text) return null;
        try
        {
            return KubernetesYaml.Deserialize<V1Secret>(text);
        }
        catch (Exception ex) when (ex is YamlDotNet.Core.YamlException or FormatException)
        {
            throw new PacketClusterException(StateFileInvalidErrorId, ErrorKind.InvalidData,
                $"{path}: not a readable Secret ({ex.Message}). Restore the file or remove it.",
                "Restore the file from a backup or remove it; if the cluster is gone, remove its state folder.", path, ex);
        }
    }

    private static async Task<string?> ReadTextAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            // Share Delete too: on Windows a rename over, or delete of, a file someone is reading fails otherwise.
            await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
                bufferSize: 4096, FileOptions.Asynchronous | FileOptions.SequentialScan);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return await reader.ReadToEndAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    private static async Task WriteObjectAsync<T>(string path, T resource, CancellationToken cancellationToken) where T : ResourceObject
    {
        AtomicFile.CreatePrivateDirectory(Path.GetDirectoryName(path)!);
        await AtomicFile.WriteAsync(path, YamlJsonBridge.ToYaml([InConventionalOrder(ToObjectNode(resource))]), cancellationToken).ConfigureAwait(false);
    }

    // System.Text.Json writes a subclass' own properties (spec, status) before the base class' (apiVersion, kind,
    // metadata); files read better in the order people write Kubernetes YAML.
    private static JsonObject InConventionalOrder(JsonObject node)
    {
        string[] leading = ["apiVersion", "kind", "metadata", "spec", "status"];
        var ordered = new JsonObject();
        foreach (var key in leading.Where(node.ContainsKey).Concat(node.Select(p => p.Key).Where(k => !leading.Contains(k)).ToList()))
            ordered[key] = node[key]?.DeepClone();
        return ordered;
    }

    private static JsonObject ToObjectNode(object resource) => ResourceCodec.ToNode(resource)?.AsObject()
        ?? throw new ArgumentException("The object serializes to null.", nameof(resource));

    private static T FromNode<T>(JsonObject node) => node.Deserialize<T>(ResourceCodec.Options)
        ?? throw new JsonException("empty document");

    private static string KindOf<T>() where T : ResourceObject, new() => new T().Kind ?? typeof(T).Name;

    private static (string Namespace, string Name) Identify<T>(T resource) where T : ResourceObject, new()
    {
        var metadata = resource.Metadata ?? throw new ArgumentException("The object has no metadata.", nameof(resource));
        var @namespace = string.IsNullOrEmpty(metadata.Namespace) ? ResourceNames.DefaultNamespace : ResourceNames.CheckNamespace(metadata.Namespace);
        return (@namespace, ResourceNames.CheckName(metadata.Name, KindOf<T>()));
    }

    private static void CheckPreconditions<T>(T stored, T resource) where T : ResourceObject
    {
        var kind = stored.Kind;
        var id = $"{stored.Metadata.Namespace}/{stored.Metadata.Name}";
        if (!string.IsNullOrEmpty(resource.Metadata.Uid) && resource.Metadata.Uid != stored.Metadata.Uid)
            throw new StoreConflictException(StoreConflictException.ModifiedErrorId,
                $"{kind} '{id}' was deleted and created again since it was read (uid {resource.Metadata.Uid} is now {stored.Metadata.Uid}). Get it again and retry.", resource);
        if (resource.Metadata.ResourceVersion != stored.Metadata.ResourceVersion)
            throw new StoreConflictException(StoreConflictException.ModifiedErrorId,
                $"{kind} '{id}' has changed since it was read (resourceVersion {resource.Metadata.ResourceVersion ?? "<none>"}, now {stored.Metadata.ResourceVersion}). Get it again and retry.", resource);
    }

    private static PacketClusterException NotFound<T>(string @namespace, string name, object target) where T : ResourceObject, new() =>
        new(NotFoundErrorId, ErrorKind.ObjectNotFound, $"{KindOf<T>()} '{@namespace}/{name}' does not exist. Create it first.",
            "Create the object first, or check its name and namespace.", target);

    private string GenerateName<T>(string @namespace, string prefix) where T : ResourceObject, new()
    {
        for (var attempt = 0; attempt < 16; attempt++)
        {
            var suffix = string.Create(5, 0, (span, _) =>
            {
                for (var i = 0; i < span.Length; i++) span[i] = GeneratedNameAlphabet[Random.Shared.Next(GeneratedNameAlphabet.Length)];
            });
            var name = ResourceNames.CheckName(prefix + suffix, KindOf<T>());
            if (!File.Exists(ObjectPath<T>(@namespace, name))) return name;
        }
        throw new StoreConflictException(StoreConflictException.ExistsErrorId,
            $"Could not find a free name for generateName '{prefix}' in '{@namespace}'.", prefix);
    }

    /// <summary>Temp files left by a crash mid-write; safe to remove once the lock is ours.</summary>
    private static void SweepTempFiles(string directory)
    {
        foreach (var temp in Directory.EnumerateFiles(directory, "*" + AtomicFile.TempSuffix, new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = true }))
            AtomicFile.TryDelete(temp);
    }

    private static long ReadResourceVersion(string directory)
    {
        var path = Path.Combine(directory, ResourceVersionFileName);
        if (File.Exists(path))
        {
            var text = File.ReadAllText(path).Trim();
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                throw new PacketClusterException(StateFileInvalidErrorId, ErrorKind.InvalidData,
                    $"{path}: expected a resourceVersion number, found '{text}'. Remove the file; it is rebuilt from the stored objects.",
                    "Remove the file; PacketCluster rebuilds it from the stored objects.", path);
            return value;
        }
        // Lost counter: continue above every version already stored, so none repeats.
        long max = 0;
        foreach (var file in EnumerateObjectFiles(directory))
        {
            try
            {
                foreach (var document in YamlJsonBridge.Parse(File.ReadAllText(file), file))
                    if (document.Root?["metadata"]?["resourceVersion"]?.ToString() is { } version
                        && long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
                        max = Math.Max(max, value);
            }
            catch (PacketClusterException)
            {
                // An unreadable file is reported when it is read; it holds no version to honour here.
            }
        }
        return max;
    }
}
