using PacketCluster.Engine;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Simulator.Config;
using PacketCluster.Simulator.Hosting;
using Xunit;

namespace PacketCluster.Simulator.Tests.Operations;

/// <summary>Create, interrupt, resume and delete a cluster through the operations the cmdlets call.</summary>
public sealed class ClusterOperationsTests : IAsyncLifetime
{
    private SimulatorHost _simulator = null!;
    private PacketSession _session = null!;
    private string _stateRoot = null!;

    public async Task InitializeAsync()
    {
        _simulator = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            Seed = 17,
            Config = new SimulatorConfig
            {
                Timings = new DeviceTimings
                {
                    Queued = new Timing(TimeSpan.FromMilliseconds(100)),
                    Provisioning = new Timing(TimeSpan.FromMilliseconds(600)),
                    Deprovisioning = new Timing(TimeSpan.FromMilliseconds(100)),
                },
                // These tests are about the engine's operations; booting would start real control planes.
                Boot = new BootConfig { Enabled = false },
            },
        });
        _session = new PacketSession(new PacketApiOptions { Endpoint = _simulator.BaseUrl, ApiKey = _simulator.ApiKey, ProjectId = _simulator.ProjectId }, "test");
        _stateRoot = Directory.CreateTempSubdirectory("pc-ops-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _simulator.DisposeAsync();
        Directory.Delete(_stateRoot, recursive: true);
    }

    private CreateClusterRequest Request(bool wait, int concurrency = ClusterReconcileLoop.DefaultConcurrency) => new()
    {
        Config = ClusterConfigGenerator.Generate(new ClusterConfigRequest
        {
            Name = "ops", ProjectId = _simulator.ProjectId, ApiKey = _simulator.ApiKey, Metro = "sv", Plan = "c3.small.x86",
            OperatingSystem = "ubuntu_22_04", KubernetesVersion = "1.20.2", WorkerCount = 2,
            SshPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 t",
        }, MachineConfigCatalogue.LoadShipped()).Config,
        StateRoot = _stateRoot, Wait = new ChangeWait(wait, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100), concurrency),
    };

    private async Task<IReadOnlyList<Device>> ClusterDevicesAsync()
    {
        using var client = _session.CreateClient(NullEngineLog.Instance);
        return (await client.ListDevicesAsync(_simulator.ProjectId, new DeviceListFilter { Tag = DeviceTags.ClusterId("ops") }))
            .Where(d => d.State != "deprovisioning").ToList();
    }

    [Fact]
    public async Task Interrupted_create_resumes_without_a_second_device_and_delete_leaves_nothing()
    {
        // -NoWait: the definition is stored and every device requested, nothing waited for.
        var first = await ClusterOperations.CreateAsync(Request(wait: false), _session, NullEngineLog.Instance, default);
        Assert.NotNull(first.Status?.ApiEndpoints);
        Assert.Equal(3, (await ClusterDevicesAsync()).Count);

        // An interrupted wait (Ctrl+C) loses nothing either.
        using (var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(150)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ClusterOperations.CreateAsync(Request(wait: true), _session, NullEngineLog.Instance, cancel.Token));

        var cluster = await ClusterOperations.CreateAsync(Request(wait: true), _session, NullEngineLog.Instance, default);
        Assert.Equal("Provisioned", cluster.Status?.Phase);
        var devices = await ClusterDevicesAsync();
        Assert.Equal(3, devices.Count);
        Assert.All(devices, d => Assert.Equal("active", d.State));
        var machines = await ClusterQueries.GetMachinesAsync(_stateRoot, "ops", default);
        Assert.Equal(devices.Select(d => "packet://" + d.Id).Order(), machines.Select(m => m.Spec.ProviderID).Order());
        Assert.Contains("kubernetes-admin@ops", await ClusterQueries.AdminKubeconfigAsync(_stateRoot, "ops", default));

        var report = await ClusterOperations.DeleteAsync("ops", _stateRoot, _session, NullEngineLog.Instance, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100), default);
        Assert.Empty(report.Leftovers);
        Assert.Empty(await ClusterDevicesAsync());
        using var client = _session.CreateClient(NullEngineLog.Instance);
        Assert.DoesNotContain(await client.ListIpReservationsAsync(_simulator.ProjectId), ip => ip.Tags.Contains(DeviceTags.ClusterId("ops")));
        Assert.False(Directory.Exists(Path.Combine(_stateRoot, "ops")));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task The_throttle_limit_bounds_how_many_requests_are_in_flight(int concurrency)
    {
        using var admin = new HttpClient { BaseAddress = _simulator.AdminUrl };
        admin.DefaultRequestHeaders.Add("X-Auth-Token", _simulator.ApiKey);
        // Slow creates, so machines reconciled together are visibly in flight together.
        (await admin.PutAsync("faults", new StringContent("requests:\n- path: /projects/*/devices\n  methods: [POST]\n  latency: 00:00:00.300\n"))).EnsureSuccessStatusCode();
        (await admin.DeleteAsync("requests")).EnsureSuccessStatusCode();

        await ClusterOperations.CreateAsync(Request(wait: false, concurrency), _session, NullEngineLog.Instance, default);

        Assert.Equal(3, (await ClusterDevicesAsync()).Count);
        var counts = System.Text.Json.Nodes.JsonNode.Parse(await admin.GetStringAsync("requests"))!;
        Assert.Equal(concurrency, counts["maxInFlight"]!.GetValue<int>());
    }
}
