using System.Net;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Manifests;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Store;

/// <summary>
/// The state store over the Cluster API custom resources of a Kubernetes cluster (the management cluster after the
/// pivot, or any cluster given by kubeconfig), with KubernetesClient. The API server supplies the semantics
/// <see cref="IStateStore"/> promises — uid, resourceVersion, generation, finalizers, the status subresource — so this
/// class only maps kinds to resources and status codes to the store's errors: 409 on create is ObjectExists, 409 on
/// update is ObjectModified (callers re-read and retry on their next pass), 404 on update is ObjectNotFound.
/// Deletes use the API server's default (background) propagation, so deleting an owner also removes its dependents.
/// </summary>
public sealed class KubernetesStore : IOwnedStateStore, IDisposable
{
    private readonly IKubernetes _client;
    private readonly bool _ownsClient;

    public KubernetesStore(IKubernetes client, bool ownsClient = false)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        _ownsClient = ownsClient;
    }

    /// <summary>A store on the cluster a kubeconfig file points at (its current context); it survives the loss of the control plane holding the endpoint (<see cref="ControlPlane.ControlPlaneFailoverHandler"/>).</summary>
    public static KubernetesStore FromKubeconfig(string path, string? context = null)
    {
        // Read through the cap first (InputTooLarge); the client reads the file again itself, resolving relative paths from it.
        if (File.Exists(path)) _ = Api.InputFile.ReadAllText(path, Api.InputFile.KubeconfigLimit, "The kubeconfig");
        return new(new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path, context), ControlPlane.ManagementConnection.Handlers()), ownsClient: true);
    }

    /// <summary>A store on the cluster a kubeconfig document (its current context) points at.</summary>
    public static KubernetesStore FromKubeconfigText(string kubeconfig)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(kubeconfig));
        return new(new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(stream), ControlPlane.ManagementConnection.Handlers()), ownsClient: true);
    }

    public IKubernetes Client => _client;

    /// <summary>Makes the namespace unless it exists (409 is fine).</summary>
    public static async Task EnsureNamespaceAsync(IKubernetes client, string ns, CancellationToken cancellationToken)
    {
        try
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: cancellationToken)
                .ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
        }
    }

    public async Task<T?> GetAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : ResourceObject, new()
    {
        try
        {
            var found = await _client.CustomObjects.GetNamespacedCustomObjectAsync(CustomResourceDefinitions.Group, Version, @namespace, PluralOf<T>(), name, cancellationToken)
                .ConfigureAwait(false);
            return Decode<T>(found);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<T>> ListAsync<T>(string @namespace, IReadOnlyDictionary<string, string>? matchLabels, CancellationToken cancellationToken) where T : ResourceObject, new()
    {
        var list = await ListPageAsync<T>(@namespace, matchLabels, cancellationToken).ConfigureAwait(false);
        return list.Items;
    }

    public async Task<T> CreateAsync<T>(T resource, CancellationToken cancellationToken) where T : ResourceObject, new()
    {
        ArgumentNullException.ThrowIfNull(resource);
        var ns = NamespaceOf(resource);
        try
        {
            var created = await _client.CustomObjects.CreateNamespacedCustomObjectAsync(Encode(resource), CustomResourceDefinitions.Group, Version, ns, PluralOf<T>(),
                cancellationToken: cancellationToken).ConfigureAwait(false);
            return Decode<T>(created);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            throw new StoreConflictException(StoreConflictException.ExistsErrorId,
                $"{KindOf<T>()} '{ns}/{resource.Name}' already exists. Get it and update it, or pick another name.", resource);
        }
        catch (HttpOperationException e)
        {
            throw Rejected(e, "create", resource);
        }
    }

    public Task<T> UpdateAsync<T>(T resource, CancellationToken cancellationToken) where T : ResourceObject, new() =>
        ReplaceAsync(resource, status: false, cancellationToken);

    public Task<T> UpdateStatusAsync<T>(T resource, CancellationToken cancellationToken) where T : ResourceObject, new() =>
        ReplaceAsync(resource, status: true, cancellationToken);

    public async Task DeleteAsync<T>(string @namespace, string name, CancellationToken cancellationToken) where T : ResourceObject, new()
    {
        try
        {
            await _client.CustomObjects.DeleteNamespacedCustomObjectAsync(CustomResourceDefinitions.Group, Version, @namespace, PluralOf<T>(), name,
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    public async Task<V1Secret?> GetSecretAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.CoreV1.ReadNamespacedSecretAsync(name, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<V1Secret>> ListSecretsAsync(string @namespace, CancellationToken cancellationToken) =>
        (await _client.CoreV1.ListNamespacedSecretAsync(@namespace, cancellationToken: cancellationToken).ConfigureAwait(false)).Items.ToList();

    public async Task<V1Secret> CreateSecretAsync(V1Secret secret, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var ns = string.IsNullOrEmpty(secret.Metadata?.NamespaceProperty) ? ResourceNames.DefaultNamespace : secret.Metadata.NamespaceProperty;
        try
        {
            return await _client.CoreV1.CreateNamespacedSecretAsync(secret, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // The name only: a Secret's content never goes into a message.
            throw new StoreConflictException(StoreConflictException.ExistsErrorId, $"Secret '{ns}/{secret.Metadata?.Name}' already exists.", secret.Metadata?.Name);
        }
    }

    public async Task DeleteSecretAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            await _client.CoreV1.DeleteNamespacedSecretAsync(name, @namespace, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
    }

    /// <summary>
    /// Lists the kind, then follows changes from that list's resourceVersion until <paramref name="cancellationToken"/>
    /// fires: every object of the first list arrives as <see cref="WatchEventType.Added"/>, then each change. A watch the
    /// server ends is resumed from the last resourceVersion seen; one that is too old (410 Gone) starts over with a fresh
    /// list, so a handler must be idempotent (reconcilers are). Errors back off from 1 s to 30 s.
    /// </summary>
    public Task WatchAsync<T>(string @namespace, Func<WatchEventType, T, CancellationToken, Task> onEvent, CancellationToken cancellationToken)
        where T : ResourceObject, new() => WatchAsync(@namespace, onEvent, null, cancellationToken);

    /// <param name="resumeFrom">Skip the first list and resume at this resourceVersion (tests use a compacted one).</param>
    internal Task WatchAsync<T>(string @namespace, Func<WatchEventType, T, CancellationToken, Task> onEvent, string? resumeFrom, CancellationToken cancellationToken)
        where T : ResourceObject, new() => WatchAsync(@namespace, onEvent, resumeFrom, onListed: null, cancellationToken);

    /// <param name="onListed">Gets each full list (the first, and one after each 410) with its resourceVersion, after its Added events: a cache drops what the list no longer has.</param>
    internal async Task WatchAsync<T>(string @namespace, Func<WatchEventType, T, CancellationToken, Task> onEvent, string? resumeFrom,
        Action<IReadOnlyList<T>, string?>? onListed, CancellationToken cancellationToken)
        where T : ResourceObject, new()
    {
        ArgumentNullException.ThrowIfNull(onEvent);
        var failures = 0;
        var resourceVersion = resumeFrom;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    Interlocked.Increment(ref _watchLists);
                    var list = await ListPageAsync<T>(@namespace, null, cancellationToken).ConfigureAwait(false);
                    foreach (var item in list.Items) await onEvent(WatchEventType.Added, item, cancellationToken).ConfigureAwait(false);
                    onListed?.Invoke(list.Items, list.ResourceVersion);
                    resourceVersion = list.ResourceVersion;
                }
                resourceVersion = await FollowAsync(@namespace, resourceVersion, onEvent, cancellationToken).ConfigureAwait(false);
                failures = 0;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or KubernetesException)
            {
                failures++;
                var wait = TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(failures - 1, 5)));
                try { await Task.Delay(wait, cancellationToken).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    /// <summary>One watch request; returns the resourceVersion to resume from, or null when the list must be redone (410).</summary>
    private async Task<string?> FollowAsync<T>(string @namespace, string? resourceVersion, Func<WatchEventType, T, CancellationToken, Task> onEvent, CancellationToken cancellationToken)
        where T : ResourceObject, new()
    {
        // KubernetesClient hands ERROR events (a Status) to onError instead of yielding them; the server then ends the stream.
        Exception? failed = null;
        var events = _client.CustomObjects.WatchListNamespacedCustomObjectAsync(CustomResourceDefinitions.Group, Version, @namespace, PluralOf<T>(),
            allowWatchBookmarks: true, resourceVersion: resourceVersion, timeoutSeconds: WatchTimeoutSeconds, onError: e => failed ??= e, cancellationToken: cancellationToken);
        await foreach (var (type, raw) in events.ConfigureAwait(false))
        {
            var item = raw is JsonElement element ? element : JsonSerializer.SerializeToElement(raw);
            if (type == WatchEventType.Bookmark)
            {
                resourceVersion = item.GetProperty("metadata").GetProperty("resourceVersion").GetString() ?? resourceVersion;
                continue;
            }
            var value = Decode<T>(item);
            resourceVersion = value.Metadata.ResourceVersion ?? resourceVersion;
            await onEvent(type, value, cancellationToken).ConfigureAwait(false);
        }
        return failed switch
        {
            null => resourceVersion,
            // 410 Gone: the resourceVersion was compacted away; list again.
            KubernetesException { Status.Code: (int)HttpStatusCode.Gone } => null,
            _ => throw failed,
        };
    }

    private int _watchLists;

    /// <summary>How many full lists watches made (the first, and one after each 410): diagnostics and tests.</summary>
    internal int WatchLists => Volatile.Read(ref _watchLists);

    /// <summary>Long enough to be cheap, short enough that a half-open connection is noticed within minutes.</summary>
    private const int WatchTimeoutSeconds = 300;

    private async Task<T> ReplaceAsync<T>(T resource, bool status, CancellationToken cancellationToken) where T : ResourceObject, new()
    {
        ArgumentNullException.ThrowIfNull(resource);
        var ns = NamespaceOf(resource);
        if (string.IsNullOrEmpty(resource.Metadata.ResourceVersion))
            throw new StoreConflictException(StoreConflictException.ModifiedErrorId,
                $"{KindOf<T>()} '{ns}/{resource.Name}' has no resourceVersion; get the current object and change that.", resource);
        try
        {
            var body = Encode(resource);
            var replaced = status
                ? await _client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(body, CustomResourceDefinitions.Group, Version, ns, PluralOf<T>(), resource.Name,
                    cancellationToken: cancellationToken).ConfigureAwait(false)
                : await _client.CustomObjects.ReplaceNamespacedCustomObjectAsync(body, CustomResourceDefinitions.Group, Version, ns, PluralOf<T>(), resource.Name,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
            return Decode<T>(replaced);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            throw new StoreConflictException(StoreConflictException.ModifiedErrorId,
                $"{KindOf<T>()} '{ns}/{resource.Name}' was changed by someone else since it was read; read it again and retry.", resource);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            throw new PacketClusterException(FileStore.NotFoundErrorId, ErrorKind.ObjectNotFound,
                $"{KindOf<T>()} '{ns}/{resource.Name}' does not exist. Create it first.",
                "Create the object first, or check its name and namespace.", resource);
        }
        catch (HttpOperationException e)
        {
            throw Rejected(e, status ? "update the status of" : "update", resource);
        }
    }

    private async Task<(IReadOnlyList<T> Items, string? ResourceVersion)> ListPageAsync<T>(string @namespace, IReadOnlyDictionary<string, string>? matchLabels,
        CancellationToken cancellationToken) where T : ResourceObject, new()
    {
        var selector = matchLabels is { Count: > 0 } ? string.Join(',', matchLabels.Select(kv => $"{kv.Key}={kv.Value}")) : null;
        // "" = every namespace, as FileStore answers it.
        var list = (JsonElement)(string.IsNullOrEmpty(@namespace)
            ? await _client.CustomObjects.ListClusterCustomObjectAsync(CustomResourceDefinitions.Group, Version, PluralOf<T>(),
                labelSelector: selector, cancellationToken: cancellationToken).ConfigureAwait(false)
            : await _client.CustomObjects.ListNamespacedCustomObjectAsync(CustomResourceDefinitions.Group, Version, @namespace, PluralOf<T>(),
                labelSelector: selector, cancellationToken: cancellationToken).ConfigureAwait(false));
        var items = list.GetProperty("items").EnumerateArray().Select(Decode<T>)
            .OrderBy(i => i.Metadata.Name, StringComparer.Ordinal).ToList();
        var version = list.TryGetProperty("metadata", out var meta) && meta.TryGetProperty("resourceVersion", out var rv) ? rv.GetString() : null;
        return (items, version);
    }

    private static PacketClusterException Rejected(HttpOperationException e, string verb, ResourceObject resource)
    {
        var reason = TryMessage(e.Response.Content) ?? e.Response.ReasonPhrase ?? e.Message;
        return new PacketClusterException("ObjectRejected", ErrorKind.InvalidData,
            $"The API server refused to {verb} {resource.Kind} '{resource.Metadata.Namespace}/{resource.Name}' ({(int)e.Response.StatusCode}): {reason}",
            "Fix the object as the API server's reason says, or check that the management cluster has the PacketCluster CRDs installed.", resource, e);
    }

    private static string? TryMessage(string? statusJson)
    {
        if (string.IsNullOrEmpty(statusJson)) return null;
        try
        {
            using var document = JsonDocument.Parse(statusJson);
            return document.RootElement.TryGetProperty("message", out var message) ? message.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private const string Version = "v1alpha1";

    private static object Encode<T>(T resource) where T : ResourceObject, new()
    {
        resource.ApiVersion ??= ResourceObject.ClusterApiVersion;
        resource.Kind ??= KindOf<T>();
        return ResourceCodec.ToNode(resource)!;
    }

    private static T Decode<T>(object answer) where T : class =>
        Decode<T>(answer as JsonElement? ?? JsonSerializer.SerializeToElement(answer));

    private static T Decode<T>(JsonElement element) where T : class => ResourceCodec.FromJson<T>(element);

    private static string NamespaceOf(ResourceObject resource) =>
        string.IsNullOrEmpty(resource.Metadata.Namespace) ? ResourceNames.DefaultNamespace : resource.Metadata.Namespace;

    private static string KindOf<T>() where T : ResourceObject, new() => new T().Kind ?? typeof(T).Name;

    private static string PluralOf<T>() where T : ResourceObject, new() => KindOf<T>() switch
    {
        "Cluster" => "clusters",
        "Machine" => "machines",
        "MachineSet" => "machinesets",
        "MachineDeployment" => "machinedeployments",
        "MachineHealthCheck" => "machinehealthchecks",
        var kind => throw new NotSupportedException($"The Kubernetes store has no resource for kind {kind}."),
    };

    public void Dispose()
    {
        if (_ownsClient) _client.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
