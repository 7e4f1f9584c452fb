using PacketCluster.Engine;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;
using PacketCluster.Models;
using PacketCluster.Models.ClusterApi;
using PacketCluster.Simulator.Hosting;
using Xunit;

namespace PacketCluster.Simulator.Tests.Operations;

/// <summary>
/// Two clusters of one name in one project (two state folders: two colleagues, two CI jobs) never touch each other's
/// devices or elastic IP; resources tagged with the name only are listed, not deleted.
/// </summary>
public sealed class ClusterIdentityTests : IAsyncLifetime
{
    private const string Name = "dup";
    private OperationsSimulator _operations = null!;
    private SimulatorHost _simulator = null!;
    private PacketSession _session = null!;
    private string _rootA = null!;
    private string _rootB = null!;

    public async Task InitializeAsync()
    {
        _operations = await OperationsSimulator.StartAsync(23, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(50));
        _simulator = _operations.Host;
        _session = _operations.Session;
        _rootA = Directory.CreateTempSubdirectory("pc-id-a-").FullName;
        _rootB = Directory.CreateTempSubdirectory("pc-id-b-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _simulator.DisposeAsync();
        Directory.Delete(_rootA, recursive: true);
        Directory.Delete(_rootB, recursive: true);
    }

    private CreateClusterRequest Request(string root, IReadOnlyList<string>? tags = null)
    {
        var config = _operations.Definition(Name, workers: 1);
        if (tags is not null) foreach (var m in config.Machines) m.Spec.ProviderSpec!.Value!.Tags = tags.ToList();
        return new CreateClusterRequest
        {
            Config = config, StateRoot = root, Wait = new ChangeWait(true, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100)),
        };
    }

    private Task<DeleteClusterReport> DeleteAsync(string root, bool includeUntagged = false) =>
        ClusterOperations.DeleteAsync(Name, root, _session, NullEngineLog.Instance, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100), default, includeUntagged);

    private async Task<IReadOnlyList<Device>> NamedDevicesAsync()
    {
        using var client = _session.CreateClient(NullEngineLog.Instance);
        return (await client.ListDevicesAsync(_simulator.ProjectId, new DeviceListFilter { Tag = DeviceTags.ClusterId(Name) }))
            .Where(d => d.State != "deprovisioning").ToList();
    }

    private async Task<IReadOnlyList<IpReservation>> NamedReservationsAsync()
    {
        using var client = _session.CreateClient(NullEngineLog.Instance);
        return (await client.ListIpReservationsAsync(_simulator.ProjectId)).Where(r => r.Tags.Contains(DeviceTags.ClusterId(Name))).ToList();
    }

    /// <summary>What two creates at the same moment produce: both passed the name check before either made anything.</summary>
    private async Task<Cluster> RecordAndReconcileWithoutNameCheckAsync(string root)
    {
        var request = Request(root);
        await using var store = FileStore.Open(StateLocation.ClusterDirectory(root, Name));
        await ClusterOperations.StoreDefinitionAsync(store, request.Config, ClusterOperations.DefaultNamespace, default);
        using var client = _session.CreateClient(NullEngineLog.Instance);
        using var context = ClusterReconcileContext.Create(store, client, _simulator.ProjectId, inventoryMaxAge: TimeSpan.FromMilliseconds(100));
        var loop = new ClusterReconcileLoop(context, ClusterOperations.DefaultNamespace, Name);
        await loop.RunUntilAsync(s => s.Cluster?.Status?.ApiEndpoints is { Count: > 0 } && s.Machines.All(m => m.Status?.Phase == "Provisioned"),
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100), null, default);
        return (await store.GetAsync<Cluster>(ClusterOperations.DefaultNamespace, Name, default))!;
    }

    [Fact]
    public async Task A_second_cluster_of_the_same_name_is_refused_and_removing_one_of_two_leaves_the_other_untouched()
    {
        var a = await ClusterOperations.CreateAsync(Request(_rootA), _session, NullEngineLog.Instance, default);
        var uidA = ClusterIdentity.Of(a).Uid;
        Assert.NotNull(uidA);
        var devicesA = await NamedDevicesAsync();
        Assert.Equal(2, devicesA.Count);
        Assert.All(devicesA, d => Assert.Contains(DeviceTags.ClusterUid(uidA!), d.Tags));
        Assert.Contains(DeviceTags.ClusterUid(uidA!), Assert.Single(await NamedReservationsAsync()).Tags);

        // A second state folder, same name: refused before anything is recorded or created.
        var refused = await Assert.ThrowsAsync<PacketClusterException>(() => ClusterOperations.CreateAsync(Request(_rootB), _session, NullEngineLog.Instance, default));
        Assert.Equal("ClusterNameInUse", refused.ErrorId);
        Assert.Contains(uidA!, refused.Message);
        Assert.Equal(2, (await NamedDevicesAsync()).Count);
        Assert.Single(await NamedReservationsAsync());
        Assert.False(FileStore.HoldsCluster(StateLocation.ClusterDirectory(_rootB, Name)));

        // Resuming A is not refused: its own resources carry its identity.
        await ClusterOperations.CreateAsync(Request(_rootA), _session, NullEngineLog.Instance, default);
        Assert.Equal(2, (await NamedDevicesAsync()).Count);

        // Both made at once (each passed the check before the other created anything): each gets its own elastic IP.
        var b = await RecordAndReconcileWithoutNameCheckAsync(_rootB);
        var uidB = ClusterIdentity.Of(b).Uid!;
        Assert.NotEqual(uidA, uidB);
        Assert.NotEqual(a.Status!.ApiEndpoints![0].Host, b.Status!.ApiEndpoints![0].Host);
        Assert.Equal(4, (await NamedDevicesAsync()).Count);
        Assert.Equal(2, (await NamedReservationsAsync()).Count);

        // Removing A leaves B's devices and IP alone (the name tag alone deleted all four before).
        var report = await DeleteAsync(_rootA);
        Assert.Empty(report.Leftovers);
        Assert.Equal(2, report.DevicesDeleted);
        Assert.Equal(3, report.LeftAlone.Count); // B's two devices and its reservation, reported, not touched
        var left = await NamedDevicesAsync();
        Assert.Equal(2, left.Count);
        Assert.All(left, d => Assert.Contains(DeviceTags.ClusterUid(uidB), d.Tags));
        Assert.All(left, d => Assert.Equal("active", d.State));
        var reservation = Assert.Single(await NamedReservationsAsync());
        Assert.Equal(b.Status.ApiEndpoints[0].Host, reservation.Address);
        var machinesB = await ClusterQueries.GetMachinesAsync(_rootB, Name, default);
        Assert.Equal(left.Select(d => "packet://" + d.Id).Order(), machinesB.Select(m => m.Spec.ProviderID).Order());

        // B still reconciles with its own devices (nothing re-created), then goes cleanly.
        await ClusterOperations.CreateAsync(Request(_rootB), _session, NullEngineLog.Instance, default);
        Assert.Equal(left.Select(d => d.Id).Order(), (await NamedDevicesAsync()).Select(d => d.Id).Order());
        Assert.Empty((await DeleteAsync(_rootB)).Leftovers);
        Assert.Empty(await NamedDevicesAsync());
        Assert.Empty(await NamedReservationsAsync());
    }

    [Fact]
    public async Task A_device_tagged_with_the_name_only_survives_removal_unless_untagged_ones_are_included()
    {
        // A spec tag may not claim an identity: it is left off the device.
        await ClusterOperations.CreateAsync(Request(_rootA, ["team:blue", DeviceTags.ClusterUid("7d0c0b8e-9a41-4d8e-8f0e-2c8f1d3b6a77")]), _session, NullEngineLog.Instance, default);
        var controlPlane = (await NamedDevicesAsync()).Single(d => d.Tags.Contains(DeviceTags.Role(controlPlane: true)));
        Assert.Contains("team:blue", controlPlane.Tags);
        Assert.DoesNotContain(DeviceTags.ClusterUid("7d0c0b8e-9a41-4d8e-8f0e-2c8f1d3b6a77"), controlPlane.Tags);

        using var client = _session.CreateClient(NullEngineLog.Instance);
        var manual = await client.CreateDeviceAsync(_simulator.ProjectId, new DeviceCreateRequest
        {
            Hostname = "dup-by-hand", Plan = "c3.small.x86", OperatingSystem = "ubuntu_22_04", Metro = "sv", Tags = [DeviceTags.ClusterId(Name)],
        });

        var report = await DeleteAsync(_rootA);
        Assert.Empty(report.Leftovers);
        Assert.Contains(report.LeftAlone, r => r.Contains(manual.Id!) && r.Contains("name tag only"));
        Assert.Equal(manual.Id, Assert.Single(await NamedDevicesAsync()).Id);
        Assert.Empty(await NamedReservationsAsync());

        // Asked for by name, with no state left: -IncludeUntagged deletes it (once provisioned: the API refuses before).
        for (var i = 0; i < 100 && (await client.GetDeviceAsync(manual.Id!)).State != "active"; i++) await Task.Delay(100);
        var sweep = await DeleteAsync(_rootA, includeUntagged: true);
        Assert.Empty(sweep.Leftovers);
        Assert.Equal(1, sweep.DevicesDeleted);
        Assert.Empty(await NamedDevicesAsync());
    }
}
