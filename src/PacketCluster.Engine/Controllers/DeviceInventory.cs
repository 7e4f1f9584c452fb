using System.Collections.Concurrent;
using PacketCluster.Engine.Metal;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// Batched polling (PRODUCT.md §6): one <c>GET /projects/{id}/devices?tag=cluster-id</c> per cluster per
/// <see cref="MaxAge"/>, shared by every Machine of that cluster, instead of one GET per device (the seed listed
/// the whole project on every lookup: O(N²)). Lookups by machine-uid tag and by id read that list. After a create or
/// delete the caller invalidates, so the next lookup sees its own write. API errors back off exponentially (bounded)
/// per cluster, so a failing API is not hammered by every Machine at once. While a cluster's devices only provision,
/// the list is reused until the first of them is forecast to be active (<see cref="ProvisioningForecast"/>).
/// Thread-safe; one list in flight per cluster.
/// The list asks for the seed's name tag (so devices an older version made are still found by their machine-uid tag)
/// and keeps only what the cluster's identity allows: devices tagged with another cluster's uid — another cluster of
/// the same name — are never seen, so never adopted, changed or deleted.
/// </summary>
public sealed class DeviceInventory
{
    /// <summary>Steady-state polling pace: fast enough that a provisioning device is noticed within one interval.</summary>
    public static readonly TimeSpan DefaultMaxAge = TimeSpan.FromSeconds(10);

    /// <summary>First wait after a failed list; doubles per consecutive failure.</summary>
    public static readonly TimeSpan BackoffBase = TimeSpan.FromSeconds(2);

    /// <summary>Longest wait between list attempts, so recovery is noticed within a couple of minutes.</summary>
    public static readonly TimeSpan BackoffMax = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Longest a list is reused while its devices provision on a forecast: a device that fails or is deleted behind
    /// our back during provisioning is still noticed within a minute.
    /// </summary>
    public static readonly TimeSpan MaxForecastReuse = TimeSpan.FromMinutes(1);

    private readonly PacketClient _client;
    private readonly string _projectId;
    private readonly TimeProvider _time;
    private readonly IEngineLog _log;
    private readonly ConcurrentDictionary<string, Entry> _clusters = new(StringComparer.Ordinal);

    public DeviceInventory(PacketClient client, string projectId, TimeProvider? time = null, IEngineLog? log = null, TimeSpan? maxAge = null)
    {
        _client = client ?? throw new ArgumentNullException(nameof(client));
        ArgumentException.ThrowIfNullOrWhiteSpace(projectId);
        _projectId = projectId;
        _time = time ?? TimeProvider.System;
        _log = log ?? NullEngineLog.Instance;
        MaxAge = maxAge ?? DefaultMaxAge;
    }

    public TimeSpan MaxAge { get; }

    /// <summary>How many list calls this inventory made (tests and diagnostics).</summary>
    public int ListCalls => _listCalls;
    private int _listCalls;

    /// <summary>
    /// The cluster's devices, from a list no older than <see cref="MaxAge"/>: those tagged with its uid, and those with
    /// the name tag only (an older version's; matched only by their machine-uid tag or id). Without a recorded uid,
    /// only the latter.
    /// </summary>
    /// <exception cref="DeviceInventoryUnavailableException">The API failed recently and the backoff has not elapsed.</exception>
    public async Task<IReadOnlyList<Device>> DevicesAsync(ClusterIdentity cluster, CancellationToken cancellationToken)
    {
        var clusterName = cluster.Name;
        var entry = _clusters.GetOrAdd(Key(cluster), _ => new Entry());
        await entry.Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var now = _time.GetUtcNow();
            if (entry.Devices is not null && now < entry.RefreshAt) return entry.Devices;
            if (entry.NotBefore > now)
                throw new DeviceInventoryUnavailableException(clusterName, entry.NotBefore - now, entry.LastError);
            long started;
            lock (entry) started = entry.Sequence;
            try
            {
                Interlocked.Increment(ref _listCalls);
                var listed = (await _client.FindDevicesByTagAsync(_projectId, DeviceTags.ClusterId(clusterName), cancellationToken).ConfigureAwait(false))
                    .Where(d => cluster.OwnershipOf(d.Tags) != ResourceOwnership.Foreign).ToList();
                lock (entry)
                {
                    // A create, delete or assignment recorded while the list was in flight may be missing from it: overlay
                    // those, or a Machine could take its own new device for lost and create another.
                    var newer = entry.Overlay.Values.Where(o => o.Sequence > started).Select(o => o.Device).ToList();
                    var devices = listed.Where(d => newer.All(n => !string.Equals(n.Id, d.Id, StringComparison.Ordinal))).Concat(newer).ToArray();
                    foreach (var id in entry.Overlay.Where(o => o.Value.Sequence <= started).Select(o => o.Key).ToList()) entry.Overlay.Remove(id);
                    // Invalidated meanwhile (a write with an unknown outcome): answer this caller, but cache nothing.
                    entry.Devices = entry.InvalidatedAt > started ? null : devices;
                    entry.FetchedAt = _time.GetUtcNow();
                    entry.RefreshAt = NextRefresh(entry.FetchedAt, entry.Forecast.Observe(devices, entry.FetchedAt));
                    entry.Failures = 0;
                    entry.LastError = null;
                    return devices;
                }
            }
            catch (PacketApiException e)
            {
                entry.Failures++;
                var wait = Backoff(entry.Failures);
                entry.NotBefore = _time.GetUtcNow() + wait;
                entry.LastError = e;
                _log.Warning($"Listing the devices of cluster '{clusterName}' failed ({e.Message}); next attempt in {wait.TotalSeconds:0} s.");
                throw new DeviceInventoryUnavailableException(clusterName, wait, e);
            }
        }
        finally
        {
            entry.Gate.Release();
        }
    }

    /// <summary>The device tagged with the machine's uid, if any. Several (only possible for devices made by the seed's bug) → the oldest.</summary>
    public async Task<Device?> FindByMachineUidAsync(ClusterIdentity cluster, string machineUid, CancellationToken cancellationToken)
    {
        var tag = DeviceTags.MachineUid(machineUid);
        var devices = await DevicesAsync(cluster, cancellationToken).ConfigureAwait(false);
        return devices.Where(d => d.Tags.Contains(tag, StringComparer.Ordinal)).OrderBy(d => d.CreatedAt).FirstOrDefault();
    }

    public async Task<Device?> FindByIdAsync(ClusterIdentity cluster, string deviceId, CancellationToken cancellationToken)
    {
        var devices = await DevicesAsync(cluster, cancellationToken).ConfigureAwait(false);
        return devices.FirstOrDefault(d => string.Equals(d.Id, deviceId, StringComparison.Ordinal));
    }

    /// <summary>
    /// Puts what a create, delete or assignment answered into the cached list (replacing the device by id), so the
    /// next Machine's lookup sees our own write without listing again. Without a cached list this does nothing.
    /// </summary>
    public void Record(ClusterIdentity cluster, Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        var entry = _clusters.GetOrAdd(Key(cluster), _ => new Entry());
        lock (entry)
        {
            entry.Sequence++;
            if (device.Id is not null) entry.Overlay[device.Id] = (entry.Sequence, device);
            if (entry.Devices is { } devices)
                entry.Devices = devices.Where(d => !string.Equals(d.Id, device.Id, StringComparison.Ordinal)).Append(device).ToArray();
            // Our own write changed the picture (a new queued device, a deletion): back to the normal pace.
            var normal = entry.FetchedAt + MaxAge;
            if (entry.RefreshAt > normal) entry.RefreshAt = normal;
        }
    }

    /// <summary>
    /// When the next list is due: after <see cref="MaxAge"/>, or — while devices provision on a forecast — not before
    /// the first of them is expected to be active (at most <see cref="MaxForecastReuse"/> later).
    /// </summary>
    private DateTimeOffset NextRefresh(DateTimeOffset fetchedAt, DateTimeOffset? expectedActive)
    {
        var normal = fetchedAt + MaxAge;
        if (expectedActive is not { } eta || eta <= normal) return normal;
        var latest = fetchedAt + (MaxForecastReuse > MaxAge ? MaxForecastReuse : MaxAge);
        return eta < latest ? eta : latest;
    }

    /// <summary>Forget the cluster's list: the next lookup lists again (after a write whose outcome is unknown, e.g. a dropped response).</summary>
    public void Invalidate(ClusterIdentity cluster)
    {
        if (!_clusters.TryGetValue(Key(cluster), out var entry)) return;
        lock (entry)
        {
            entry.Sequence++;
            entry.InvalidatedAt = entry.Sequence;
            entry.Devices = null;
        }
    }

    // Two clusters of one name (two namespaces of one manager) keep two lists.
    private static string Key(ClusterIdentity cluster) => cluster.Name + "\n" + cluster.Uid;

    internal static TimeSpan Backoff(int failures)
    {
        var factor = Math.Pow(2, Math.Min(failures - 1, 16));
        var wait = TimeSpan.FromTicks((long)Math.Min(BackoffBase.Ticks * factor, BackoffMax.Ticks));
        return wait;
    }

    private sealed class Entry
    {
        public readonly SemaphoreSlim Gate = new(1, 1);
        public volatile IReadOnlyList<Device>? Devices;
        public DateTimeOffset FetchedAt;
        public DateTimeOffset RefreshAt;
        public readonly ProvisioningForecast Forecast = new();
        public DateTimeOffset NotBefore;
        public int Failures;
        public PacketApiException? LastError;

        // Guarded by lock(entry): a counter of local writes, and the devices written since the last list started.
        public long Sequence;
        public long InvalidatedAt;
        public readonly Dictionary<string, (long Sequence, Device Device)> Overlay = new(StringComparer.Ordinal);
    }
}
