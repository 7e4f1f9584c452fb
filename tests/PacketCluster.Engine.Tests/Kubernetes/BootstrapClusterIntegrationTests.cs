using k8s;
using k8s.Models;
using PacketCluster.Engine.Manifests;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;
using PacketCluster.Engine.Tests.Pki;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>
/// New-PacketCluster -BootstrapKubeconfig against the real API server as the bootstrap cluster: components applied
/// there, objects recorded there, the manager's Lease held while the command reconciles, the cluster found again
/// through its folder, and Remove-PacketCluster cleaning both the project and the bootstrap cluster.
/// </summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class BootstrapClusterIntegrationTests(KubeControlPlane controlPlane) : IAsyncLifetime
{
    private const string Ns = ClusterOperations.DefaultNamespace;
    private readonly string _name = $"boot{Guid.NewGuid():N}"[..10];
    private readonly TempDirectory _state = new("bootstrap");
    private ProvisioningSimulator _simulator = null!;
    private PacketSession _session = null!;

    public async Task InitializeAsync()
    {
        _simulator = await ProvisioningSimulator.StartAsync(seed: 8);
        _session = _simulator.Session;
    }

    public async Task DisposeAsync()
    {
        await _simulator.DisposeAsync();
        _state.Dispose();
    }

    [Fact]
    public async Task Creates_in_the_bootstrap_cluster_while_holding_the_managers_lease_and_removal_cleans_it()
    {
        var config = _simulator.Definition(_name, workers: 1);
        using var admin = controlPlane.CreateClient();
        var request = new CreateClusterRequest
        {
            Config = config, StateRoot = _state.Path, BootstrapKubeconfig = controlPlane.KubeconfigPath,
            Wait = new ChangeWait(true, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100)),
        };
        var cluster = await ClusterOperations.CreateAndPivotAsync(request, _session, NullEngineLog.Instance, default);
        Assert.Equal(_name, cluster.Name);

        // The components and the objects are in the bootstrap cluster; the folder only points at it.
        await admin.AppsV1.ReadNamespacedDeploymentAsync("cluster-api-provider-packet-controller-manager", ProviderComponents.Namespace);
        using var store = new KubernetesStore(controlPlane.CreateClient(), ownsClient: true);
        var machines = await store.ListAsync<Machine>(Ns, null, default);
        Assert.Equal(2, machines.Count(m => m.Metadata.Labels?.GetValueOrDefault(PacketCluster.Engine.Api.ClusterValidation.ClusterNameLabel) == _name && m.Status?.Phase == "Provisioned"));
        Assert.NotNull(await store.GetSecretAsync(Ns, $"{_name}-ca", default));
        var directory = Path.Combine(_state.Path, _name);
        Assert.Equal(File.ReadAllText(controlPlane.KubeconfigPath), File.ReadAllText(StateLocation.ManagementKubeconfig(directory)));
        Assert.False(FileStore.HoldsCluster(directory));
        Assert.Equal(_name, (await ClusterQueries.GetClusterAsync(_state.Path, _name, default)).Name);

        // This command held the manager's Lease while it reconciled.
        var lease = await admin.CoordinationV1.ReadNamespacedLeaseAsync("packetcluster-manager", ProviderComponents.Namespace);
        Assert.Equal(BootstrapCluster.CommandIdentity(_name), lease.Spec.HolderIdentity);

        // Running it again resumes (adopts, creates nothing): still two devices.
        await ClusterOperations.CreateAndPivotAsync(request, _session, NullEngineLog.Instance, default);
        Assert.Equal(2, (await DevicesAsync()).Count);

        var report = await ClusterOperations.DeleteAsync(_name, _state.Path, _session, NullEngineLog.Instance, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200), default);
        Assert.Empty(report.Leftovers);
        Assert.Empty(await DevicesAsync());
        Assert.Null(await store.GetAsync<Cluster>(Ns, _name, default));
        Assert.DoesNotContain(await store.ListAsync<Machine>(Ns, null, default), m => m.Name.StartsWith(_name, StringComparison.Ordinal));
        Assert.Null(await store.GetSecretAsync(Ns, $"{_name}-ca", default));
        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public async Task A_live_lease_holder_keeps_the_work_and_an_expired_one_is_taken_over()
    {
        using var admin = controlPlane.CreateClient();
        var options = new ManagerOptions { LeaseNamespace = $"lease{Guid.NewGuid():N}"[..12], LeaseDuration = TimeSpan.FromSeconds(4), RenewDeadline = TimeSpan.FromSeconds(3), RetryPeriod = TimeSpan.FromMilliseconds(500) };
        await ManagerLease.EnsureNamespaceAsync(admin, options.LeaseNamespace, default);
        var lease = await admin.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
        {
            Metadata = new V1ObjectMeta { Name = options.LeaseName },
            Spec = new V1LeaseSpec { HolderIdentity = "manager-elsewhere", LeaseDurationSeconds = 3, RenewTime = DateTime.UtcNow, AcquireTime = DateTime.UtcNow },
        }, options.LeaseNamespace);

        Assert.Equal("manager-elsewhere", await ManagerLease.LiveHolderAsync(admin, options, default));
        Assert.Null(await ManagerLease.TryAcquireAsync(admin, options, "the-command", NullEngineLog.Instance, default));

        // The holder died a while ago: its lease expired, so the command takes it.
        lease.Spec.RenewTime = DateTime.UtcNow - TimeSpan.FromMinutes(5);
        await admin.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, options.LeaseName, options.LeaseNamespace);
        await using (var held = await ManagerLease.TryAcquireAsync(admin, options, "the-command", NullEngineLog.Instance, default))
        {
            Assert.NotNull(held);
            Assert.False(held.Lost.IsCancellationRequested);
            Assert.Equal("the-command", (await admin.CoordinationV1.ReadNamespacedLeaseAsync(options.LeaseName, options.LeaseNamespace)).Spec.HolderIdentity);
        }
        await admin.CoreV1.DeleteNamespaceAsync(options.LeaseNamespace);
    }

    private Task<IReadOnlyList<Device>> DevicesAsync() => _simulator.DevicesAsync(_name);
}
