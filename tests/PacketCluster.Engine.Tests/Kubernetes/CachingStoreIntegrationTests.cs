using k8s;
using k8s.Models;
using PacketCluster.Engine.Store;
using PacketCluster.Engine.Tests.Manifests;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>
/// The manager's watch-fed cache on the real kube-apiserver: reads from memory, its own writes visible at once,
/// others' changes arriving with the watch, and a fresh list dropping what the server no longer has.
/// </summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class CachingStoreIntegrationTests : IAsyncLifetime
{
    private readonly KubeControlPlane _controlPlane;
    private readonly IKubernetes _admin;
    private readonly KubernetesStore _server;
    private readonly CachingStore _cache;
    private readonly string _ns = $"cache-{Guid.NewGuid():N}"[..20];
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(120));
    private readonly List<Task> _watches = [];

    public CachingStoreIntegrationTests(KubeControlPlane controlPlane)
    {
        _controlPlane = controlPlane;
        _admin = controlPlane.CreateClient();
        _server = new KubernetesStore(controlPlane.CreateClient(), ownsClient: true);
        _cache = new CachingStore(_server, _ns);
    }

    public async Task InitializeAsync()
    {
        new Kubectl(_controlPlane).EnsureCustomResourceDefinitions();
        await _admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = _ns } });
    }

    public async Task DisposeAsync()
    {
        _stop.Cancel();
        await Task.WhenAll(_watches);
        await _admin.CoreV1.DeleteNamespaceAsync(_ns);
        _admin.Dispose();
        _server.Dispose();
        _stop.Dispose();
    }

    private void StartWatches()
    {
        _watches.Add(_cache.WatchAsync<Cluster>(_ => { }, _stop.Token));
        _watches.Add(_cache.WatchAsync<Machine>(_ => { }, _stop.Token));
        _watches.Add(_cache.WatchAsync<MachineSet>(_ => { }, _stop.Token));
        _watches.Add(_cache.WatchAsync<MachineDeployment>(_ => { }, _stop.Token));
    }

    private Machine NewMachine(string name, string cluster = "demo", List<string>? finalizers = null) => new()
    {
        Metadata = { Name = name, Namespace = _ns, Labels = new() { ["cluster.k8s.io/cluster-name"] = cluster }, Finalizers = finalizers },
        Spec = new MachineSpec
        {
            Versions = new MachineVersionInfo { Kubelet = "1.20.2" },
            ProviderSpec = new MachineProviderSpec { Value = new PacketMachineProviderSpec { OS = "ubuntu_22_04", MachineType = "c3.small.x86", Metro = "sv" } },
        },
    };

    private static Dictionary<string, string> ClusterLabel(string cluster) => new() { ["cluster.k8s.io/cluster-name"] = cluster };

    [Fact]
    public async Task Its_own_writes_read_back_at_once_and_reads_are_copies()
    {
        StartWatches();

        var created = await _cache.CreateAsync(NewMachine("w-1"), _stop.Token);
        await _cache.CreateAsync(NewMachine("other", cluster: "else"), _stop.Token);
        Assert.Equal(created.Metadata.Uid, (await _cache.GetAsync<Machine>(_ns, "w-1", _stop.Token))!.Metadata.Uid);
        Assert.Equal(["w-1"], (await _cache.ListAsync<Machine>(_ns, ClusterLabel("demo"), _stop.Token)).Select(m => m.Name));

        created.Status = new MachineStatus { Phase = "Provisioning" };
        var withStatus = await _cache.UpdateStatusAsync(created, _stop.Token);
        var read = (await _cache.GetAsync<Machine>(_ns, "w-1", _stop.Token))!;
        Assert.Equal("Provisioning", read.Status?.Phase);
        Assert.Equal(withStatus.Metadata.ResourceVersion, read.Metadata.ResourceVersion);

        // What a caller changes on a read object stays with that caller.
        read.Status!.Phase = "Changed locally";
        Assert.Equal("Provisioning", (await _cache.GetAsync<Machine>(_ns, "w-1", _stop.Token))!.Status?.Phase);

        // A stale read still fails on write, as against the server.
        created.Spec.ProviderID = "packet://stale";
        await Assert.ThrowsAsync<StoreConflictException>(() => _cache.UpdateAsync(created, _stop.Token));
    }

    [Fact]
    public async Task A_delete_reads_back_the_deletion_and_the_last_finalizer_removes_the_object()
    {
        StartWatches();
        await _cache.CreateAsync(NewMachine("held", finalizers: ["machine.cluster.k8s.io"]), _stop.Token);
        await _cache.CreateAsync(NewMachine("plain"), _stop.Token);

        await _cache.DeleteAsync<Machine>(_ns, "plain", _stop.Token);
        Assert.Null(await _cache.GetAsync<Machine>(_ns, "plain", _stop.Token));

        await _cache.DeleteAsync<Machine>(_ns, "held", _stop.Token);
        var deleting = (await _cache.GetAsync<Machine>(_ns, "held", _stop.Token))!;
        Assert.NotNull(deleting.Metadata.DeletionTimestamp);

        deleting.Metadata.Finalizers = [];
        await _cache.UpdateAsync(deleting, _stop.Token);
        Assert.Null(await _cache.GetAsync<Machine>(_ns, "held", _stop.Token));
        Assert.Empty(await _cache.ListAsync<Machine>(_ns, null, _stop.Token));
    }

    [Fact]
    public async Task Changes_by_others_arrive_with_the_watch_and_a_fresh_list_drops_what_is_gone()
    {
        // Written through the cache before any watch runs, then deleted behind its back: only the first list can tell.
        await _cache.CreateAsync(NewMachine("vanished"), _stop.Token);
        await _server.DeleteAsync<Machine>(_ns, "vanished", _stop.Token);
        await _server.CreateAsync(NewMachine("listed"), _stop.Token);

        var seen = new List<string>();
        _watches.Add(_cache.WatchAsync<Machine>(m => { lock (seen) seen.Add(m.Name); }, _stop.Token));
        Assert.Equal(["listed"], (await _cache.ListAsync<Machine>(_ns, null, _stop.Token)).Select(m => m.Name));

        await _server.CreateAsync(NewMachine("later"), _stop.Token);
        await WaitForAsync(async () => await _cache.GetAsync<Machine>(_ns, "later", _stop.Token) is not null);
        await _server.DeleteAsync<Machine>(_ns, "listed", _stop.Token);
        await WaitForAsync(async () => await _cache.GetAsync<Machine>(_ns, "listed", _stop.Token) is null);
        lock (seen) Assert.Contains("later", seen);

        // Other namespaces are not cached: they are read from the server.
        Assert.Contains(await _cache.ListAsync<Machine>("", null, _stop.Token), m => m.Name == "later" && m.Metadata.Namespace == _ns);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the cache did not see the change within 30 s");
            await Task.Delay(50);
        }
    }
}
