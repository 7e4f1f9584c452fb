using PacketCluster.Engine.Api;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Store;
using PacketCluster.Engine.Tests.Pki;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Tests.Controllers;

/// <summary>
/// A FileStore in a temp folder, the two replica reconcilers and a bounded driver. No Machine reconciler runs: tests play it by setting
/// machine phases between passes, and machines carry no finalizer, so deleting one removes it at once.
/// </summary>
internal sealed class ReplicaHarness : IDisposable
{
    public const string Ns = "default";
    public const string ClusterName = "demo";

    private readonly TempDirectory _directory = new("replicas");
    private readonly FileStore _store;

    public ReplicaHarness()
    {
        _store = FileStore.Open(_directory.Path, Clock);
        Sets = new MachineSetReconciler(Store, time: Clock, random: new Random(1234));
        Deployments = new MachineDeploymentReconciler(Store, time: Clock);
    }

    /// <summary>Each reading is a second later: FileStore keeps whole seconds, and deletePolicy Oldest/Newest needs distinct creation times.</summary>
    public TickingClock Clock { get; } = new();

    public IStateStore Store => _store;
    public MachineSetReconciler Sets { get; }
    public MachineDeploymentReconciler Deployments { get; }

    public static MachineTemplateSpec Template(string pool, string kubelet = "1.30.2") => new()
    {
        Metadata = new ObjectMeta { Labels = new() { ["pool"] = pool } },
        Spec = new MachineSpec
        {
            Versions = new MachineVersionInfo { Kubelet = kubelet },
            ProviderSpec = new MachineProviderSpec { Value = new PacketMachineProviderSpec { Roles = ["Node"], OS = "ubuntu_24_04", MachineType = "c3.small.x86", Metro = "da" } },
        },
    };

    public Task<MachineSet> CreateSetAsync(string name, int replicas, string? deletePolicy = null) =>
        Store.CreateAsync(new MachineSet
        {
            Metadata = new ObjectMeta { Name = name, Namespace = Ns, Labels = new() { [ClusterValidation.ClusterNameLabel] = ClusterName } },
            Spec = new MachineSetSpec
            {
                Replicas = replicas,
                DeletePolicy = deletePolicy,
                Selector = new LabelSelector { MatchLabels = new() { ["pool"] = name } },
                Template = Template(name),
            },
        }, CancellationToken.None);

    public Task<MachineDeployment> CreateDeploymentAsync(string name, int replicas, string? maxSurge = null, string? maxUnavailable = null, bool paused = false) =>
        Store.CreateAsync(new MachineDeployment
        {
            Metadata = new ObjectMeta { Name = name, Namespace = Ns, Labels = new() { [ClusterValidation.ClusterNameLabel] = ClusterName } },
            Spec = new MachineDeploymentSpec
            {
                Replicas = replicas,
                Paused = paused,
                Selector = new LabelSelector { MatchLabels = new() { ["pool"] = name } },
                Template = Template(name),
                Strategy = maxSurge is null && maxUnavailable is null ? null : new MachineDeploymentStrategy
                {
                    Type = "RollingUpdate",
                    RollingUpdate = new MachineRollingUpdateDeployment { MaxSurge = maxSurge, MaxUnavailable = maxUnavailable },
                },
            },
        }, CancellationToken.None);

    public async Task<T> ChangeAsync<T>(string name, Action<T> change) where T : ResourceObject, new()
    {
        var current = await Store.GetAsync<T>(Ns, name, CancellationToken.None) ?? throw new InvalidOperationException($"{name} missing");
        change(current);
        return await Store.UpdateAsync(current, CancellationToken.None);
    }

    public Task<T?> GetAsync<T>(string name) where T : ResourceObject, new() => Store.GetAsync<T>(Ns, name, CancellationToken.None);

    public async Task<List<Machine>> MachinesAsync() => (await Store.ListAsync<Machine>(Ns, null, CancellationToken.None)).ToList();

    public async Task<List<MachineSet>> MachineSetsAsync() => (await Store.ListAsync<MachineSet>(Ns, null, CancellationToken.None)).ToList();

    /// <summary>Plays the Machine reconciler: sets the phase (and lastUpdated, as it does on a phase change).</summary>
    public async Task SetPhaseAsync(Machine machine, string phase, string? errorReason = null)
    {
        var current = await Store.GetAsync<Machine>(Ns, machine.Name, CancellationToken.None) ?? throw new InvalidOperationException($"{machine} missing");
        current.Status ??= new MachineStatus();
        current.Status.Phase = phase;
        current.Status.ErrorReason = errorReason;
        current.Status.LastUpdated = Clock.GetUtcNow();
        await Store.UpdateStatusAsync(current, CancellationToken.None);
    }

    /// <summary>Every machine not yet Running becomes Running (its device came up and joined).</summary>
    public async Task<int> ProvisionAllAsync()
    {
        var count = 0;
        foreach (var machine in await MachinesAsync())
            if (machine.Status?.Phase != Phases.Running && machine.Metadata.DeletionTimestamp is null)
            {
                await SetPhaseAsync(machine, Phases.Running);
                count++;
            }
        return count;
    }

    /// <summary>
    /// One pass: every deployment, then every set, reconciled once; <paramref name="afterEach"/> runs after every single
    /// reconcile so invariants are checked at each step, not only between passes.
    /// </summary>
    public async Task PassAsync(Func<Task>? afterEach = null)
    {
        foreach (var deployment in await Store.ListAsync<MachineDeployment>(Ns, null, CancellationToken.None))
        {
            await Deployments.ReconcileAsync(Ns, deployment.Name, CancellationToken.None);
            if (afterEach is not null) await afterEach();
        }
        foreach (var set in await MachineSetsAsync())
        {
            await Sets.ReconcileAsync(Ns, set.Name, CancellationToken.None);
            if (afterEach is not null) await afterEach();
        }
    }

    /// <summary>Passes until nothing in the store changes any more; fails after <paramref name="maxPasses"/>.</summary>
    public async Task SettleAsync(int maxPasses = 10, Func<Task>? afterEach = null)
    {
        var before = await SnapshotAsync();
        for (var pass = 0; pass < maxPasses; pass++)
        {
            await PassAsync(afterEach);
            var after = await SnapshotAsync();
            if (after == before) return;
            before = after;
        }
        throw new Xunit.Sdk.XunitException($"The store did not settle within {maxPasses} passes.");
    }

    private async Task<string> SnapshotAsync()
    {
        var parts = new List<string>();
        foreach (var d in await Store.ListAsync<MachineDeployment>(Ns, null, CancellationToken.None)) parts.Add($"{d}@{d.Metadata.ResourceVersion}");
        foreach (var s in await MachineSetsAsync()) parts.Add($"{s}@{s.Metadata.ResourceVersion}");
        foreach (var m in await MachinesAsync()) parts.Add($"{m}@{m.Metadata.ResourceVersion}");
        return string.Join(";", parts);
    }

    public void Dispose()
    {
        _store.Dispose();
        _directory.Dispose();
    }
}

internal sealed class TickingClock : TimeProvider
{
    private long _ticks = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Add(ref _ticks, TimeSpan.TicksPerSecond), TimeSpan.Zero);
}
