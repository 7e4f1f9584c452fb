using PacketCluster.Engine;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Simulator.Hosting;
using Xunit;

namespace PacketCluster.Simulator.Tests.Operations;

/// <summary>Preflight against the simulator's live catalogue: bad input fails before any side effect.</summary>
public sealed class PreflightTests : IAsyncLifetime
{
    private SimulatorHost _simulator = null!;
    private PacketSession _session = null!;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(new SimulatorOptions { Seed = 5 });
        _session = new PacketSession(new PacketApiOptions { Endpoint = _simulator.BaseUrl, ApiKey = _simulator.ApiKey, ProjectId = _simulator.ProjectId }, "test");
    }

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    private ClusterConfigRequest Request() => new()
    {
        Name = "pre", ProjectId = _simulator.ProjectId, ApiKey = _simulator.ApiKey, Metro = "sv", Plan = "c3.small.x86",
        OperatingSystem = "ubuntu_22_04", KubernetesVersion = "1.20.2", WorkerCount = 2,
        SshPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 t",
    };

    private PacketCluster.Models.PacketClusterConfig Config(ClusterConfigRequest request) =>
        ClusterConfigGenerator.Generate(request, MachineConfigCatalogue.LoadShipped()).Config;

    [Fact]
    public async Task A_valid_definition_gives_the_plan_with_prices()
    {
        var plan = await Preflight.CheckAsync(Config(Request()), _session, NullEngineLog.Instance, default);
        Assert.Equal(3, plan.Devices.Length);
        Assert.Equal(new[] { "ControlPlane", "Worker", "Worker" }, plan.Devices.Select(d => d.Role));
        Assert.All(plan.Devices, d => Assert.Equal(0.75m, d.PricePerHour));
        Assert.Equal(2.25m, plan.TotalPricePerHour);
        Assert.Contains("metro sv", Assert.Single(plan.IpReservations));
        Assert.Contains("Secret/pre-ca", plan.Objects);
        Assert.Contains("MachineDeployment/pre-worker", plan.Objects);
    }

    [Theory]
    [InlineData("UnknownPlan", "x9.huge.x86", "ubuntu_22_04", "sv", 1)]
    [InlineData("UnknownLocation", "c3.small.x86", "ubuntu_22_04", "zz", 1)]
    [InlineData("OperatingSystemNotSupported", "t1.small.x86", "ubuntu_22_04", "sv", 1)]
    [InlineData("NoCapacity", "c3.small.x86", "ubuntu_22_04", "sv", 600)]
    public async Task Bad_input_fails_before_any_device_is_created(string errorId, string plan, string os, string metro, int workers)
    {
        var config = Config(Request() with { Plan = plan, OperatingSystem = os, Metro = metro, WorkerCount = workers });
        var ex = await Assert.ThrowsAsync<ClusterConfigInvalidException>(() => Preflight.CheckAsync(config, _session, NullEngineLog.Instance, default));
        Assert.Contains(ex.Problems, p => p.ErrorId == errorId);
        using var client = _session.CreateClient(NullEngineLog.Instance);
        Assert.Empty(await client.ListDevicesAsync(_simulator.ProjectId));
    }
}
