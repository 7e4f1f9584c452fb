using PacketCluster.Engine.Api;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Operations;

/// <summary>What AddControlPlanesAsync refuses, it refuses before it writes or calls anything.</summary>
public sealed class AddControlPlanesTests : IDisposable
{
    // Discard port on loopback: any API call would fail loudly instead of reaching a real service.
    private static readonly PacketSession Unreachable = new(new PacketApiOptions
    {
        Endpoint = new Uri("http://127.0.0.1:9/"), ApiKey = "not-used", ProjectId = "6a1b2c3d-0000-4000-8000-000000000001", MaxAttempts = 1,
    }, "test");

    private static readonly ChangeWait NoWait = new(false, TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100));

    private readonly string _root = Directory.CreateTempSubdirectory("pc-add-cp-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task A_shell_machine_config_is_refused_before_any_machine_is_written()
    {
        await SeedAsync("seed", image: "ubuntu_18_04", version: "1.14.3");

        var e = await Assert.ThrowsAsync<PacketClusterException>(() =>
            MachineOperations.AddControlPlanesAsync(_root, "seed", 2, Unreachable, NullEngineLog.Instance, NoWait, default));

        Assert.Equal(UserdataRenderer.ShellCannotJoinControlPlaneErrorId, e.ErrorId);
        Assert.Contains("cloud-config machine config", e.Message);
        Assert.Equal(["seed-control-plane-0"], (await ClusterQueries.GetMachinesAsync(_root, "seed", default)).Select(m => m.Name));
    }

    [Fact]
    public async Task A_version_without_a_machine_config_is_refused_before_any_machine_is_written()
    {
        await SeedAsync("noentry", image: "ubuntu_22_04", version: "1.19.0");

        var e = await Assert.ThrowsAsync<MachineConfigNotFoundException>(() =>
            MachineOperations.AddControlPlanesAsync(_root, "noentry", 1, Unreachable, NullEngineLog.Instance, NoWait, default));

        Assert.Equal("MachineConfigNotFound", e.ErrorId);
        Assert.Single(await ClusterQueries.GetMachinesAsync(_root, "noentry", default));
    }

    /// <summary>A stored cluster with one control plane, as New-PacketCluster leaves it (without devices).</summary>
    private async Task SeedAsync(string cluster, string image, string version)
    {
        await using var store = FileStore.Open(StateLocation.ClusterDirectory(_root, cluster));
        await store.CreateAsync(new Cluster { Metadata = new ObjectMeta { Name = cluster, Namespace = ClusterOperations.DefaultNamespace } }, default);
        await store.CreateAsync(new Machine
        {
            Metadata = new ObjectMeta
            {
                Name = cluster + "-control-plane-0",
                Namespace = ClusterOperations.DefaultNamespace,
                Labels = new() { [ClusterValidation.ClusterNameLabel] = cluster, ["set"] = "master" },
            },
            Spec = new MachineSpec
            {
                Versions = new MachineVersionInfo { Kubelet = version, ControlPlane = version },
                ProviderSpec = new MachineProviderSpec { Value = new PacketMachineProviderSpec { OS = image, MachineType = "c3.small.x86", Metro = "sv" } },
            },
        }, default);
    }
}
