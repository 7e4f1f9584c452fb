using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PacketCluster.Engine;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;
using PacketCluster.Simulator.Config;
using PacketCluster.Simulator.Hosting;
using Xunit;

namespace PacketCluster.Simulator.Tests.Operations;

/// <summary>Create, interrupt, resume, grow and delete a cluster through the operations the cmdlets call.</summary>
public sealed class ClusterOperationsTests : IAsyncLifetime
{
    private OperationsSimulator _operations = null!;
    private SimulatorHost _simulator = null!;
    private PacketSession _session = null!;
    private string _stateRoot = null!;

    public async Task InitializeAsync()
    {
        var simulator = await OperationsSimulator.StartAsync(17, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(100));
        _operations = simulator;
        _simulator = simulator.Host;
        _session = simulator.Session;
        _stateRoot = Directory.CreateTempSubdirectory("pc-ops-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _simulator.DisposeAsync();
        Directory.Delete(_stateRoot, recursive: true);
    }

    private CreateClusterRequest Request(bool wait, int concurrency = ClusterReconcileLoop.DefaultConcurrency, int workers = 2) => new()
    {
        Config = _operations.Definition("ops", workers),
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
        // Slow creates, so machines reconciled together are visibly in flight together; five workers whose creates start
        // alike (the control plane renders more first, so it may start late).
        (await admin.PutAsync("faults", new StringContent("requests:\n- path: /projects/*/devices\n  methods: [POST]\n  latency: 00:00:01\n"))).EnsureSuccessStatusCode();
        (await admin.DeleteAsync("requests")).EnsureSuccessStatusCode();

        await ClusterOperations.CreateAsync(Request(wait: false, concurrency, workers: 5), _session, NullEngineLog.Instance, default);

        Assert.Equal(6, (await ClusterDevicesAsync()).Count);
        var counts = System.Text.Json.Nodes.JsonNode.Parse(await admin.GetStringAsync("requests"))!;
        Assert.Equal(concurrency, counts["maxInFlight"]!.GetValue<int>());
    }

    [Fact]
    public async Task An_added_control_plane_joins_leaves_the_elastic_ip_on_the_first_and_can_be_removed()
    {
        var cluster = await ClusterOperations.CreateAsync(Request(wait: true), _session, NullEngineLog.Instance, default);
        var endpoint = cluster.Status!.ApiEndpoints![0].Host!;
        var first = (await ClusterQueries.GetMachinesAsync(_stateRoot, "ops", default)).Single(m => m.IsControlPlane);
        var log = new WarningLog();
        var wait = new ChangeWait(true, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100));

        var added = Assert.Single(await MachineOperations.AddControlPlanesAsync(_stateRoot, "ops", 1, _session, log, wait, default));

        // A standalone control plane like the first: next index, same labels, providerSpec and versions, its own device.
        Assert.Equal("ops-control-plane-1", added.Name);
        Assert.True(added.IsControlPlane);
        Assert.Contains(added.Status?.Phase, new[] { "Provisioned", "Running" });
        Assert.Equal(first.Metadata.Labels, added.Metadata.Labels);
        Assert.Equal(Engine.Api.ResourceCodec.ToJson(first.Spec.ProviderSpec!), Engine.Api.ResourceCodec.ToJson(added.Spec.ProviderSpec!));
        Assert.Equal(Engine.Api.ResourceCodec.ToJson(first.Spec.Versions!), Engine.Api.ResourceCodec.ToJson(added.Spec.Versions!));
        Assert.Null(added.Metadata.OwnerReferences);
        var devices = await ClusterDevicesAsync();
        Assert.Equal(4, devices.Count);
        var device = devices.Single(d => "packet://" + d.Id == added.Spec.ProviderID);
        Assert.Contains(DeviceTags.Role(controlPlane: true), device.Tags);

        // Its userdata joins as a control plane with its own token, the cluster's keys and the cluster CA pinned.
        var userdata = await UserdataAsync(device.Id!);
        Assert.All(new[] { "kubeadm join --config /etc/kubernetes/kubeadm-config.yaml", "kind: JoinConfiguration", "localAPIEndpoint:", "path: /etc/kubernetes/pki/etcd/ca.key" },
            expected => Assert.Contains(expected, userdata));
        Assert.All(new[] { "kubeadm init", "InitConfiguration" }, unexpected => Assert.DoesNotContain(unexpected, userdata));
        await using (var store = FileStore.Open(StateLocation.ClusterDirectory(_stateRoot, "ops")))
        {
            var ca = ClusterSecrets.Value((await store.GetSecretAsync("default", ClusterSecrets.ClusterCa("ops"), default))!, ClusterSecrets.CertificateKey);
            Assert.Contains("sha256:" + Convert.ToHexStringLower(SHA256.HashData(X509Certificate2.CreateFromPem(ca).PublicKey.ExportSubjectPublicKeyInfo())), userdata);
            Assert.Contains(ca.Split('\n')[1], userdata);
            var token = ClusterSecrets.Value((await store.GetSecretAsync("default", ClusterSecrets.BootstrapToken(added.Name), default))!, ClusterSecrets.TokenKey);
            // Not "token: …" verbatim: a token that starts with a digit is written quoted.
            Assert.Contains(token, userdata);
        }
        Assert.Contains("kubeadm init --config", await UserdataAsync(first.Spec.ProviderID!["packet://".Length..]));

        // The elastic IP stays on the first control plane; two control planes draw the etcd-quorum warning.
        Assert.Contains(devices.Single(d => "packet://" + d.Id == first.Spec.ProviderID).IpAddresses, ip => ip.Address == endpoint);
        Assert.DoesNotContain(device.IpAddresses, ip => ip.Address == endpoint);
        Assert.Contains(log.Warnings, w => w.Contains("2 control planes", StringComparison.Ordinal) && w.Contains("odd", StringComparison.Ordinal));

        await MachineOperations.RemoveMachineAsync(_stateRoot, "ops", added.Name, _session, NullEngineLog.Instance, wait, default);

        Assert.DoesNotContain(added.Name, (await ClusterQueries.GetMachinesAsync(_stateRoot, "ops", default)).Select(m => m.Name));
        devices = await ClusterDevicesAsync();
        Assert.Equal(3, devices.Count);
        Assert.DoesNotContain(devices, d => d.Id == device.Id);
        Assert.Contains(devices.Single(d => "packet://" + d.Id == first.Spec.ProviderID).IpAddresses, ip => ip.Address == endpoint);
        await using (var store = FileStore.Open(StateLocation.ClusterDirectory(_stateRoot, "ops")))
            Assert.Null(await store.GetSecretAsync("default", ClusterSecrets.BootstrapToken(added.Name), default));
    }

    private async Task<string> UserdataAsync(string deviceId)
    {
        using var client = _session.CreateClient(NullEngineLog.Instance);
        return await client.GetDeviceUserdataAsync(deviceId);
    }

    private sealed class WarningLog : IEngineLog
    {
        private readonly ConcurrentQueue<string> _warnings = new();
        public IReadOnlyCollection<string> Warnings => _warnings;
        public void Write(EngineMessage message)
        {
            if (message.Level == EngineMessageLevel.Warning) _warnings.Enqueue(message.Text);
        }
    }
}
