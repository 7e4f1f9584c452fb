using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using PacketCluster.Engine.Store;
using PacketCluster.Engine.Tests.Manifests;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>
/// The store interface over the CRDs on the real kube-apiserver: the same promises FileStoreTests checks for the
/// embedded store (uid, resourceVersion, generation, status subresource, finalizers, conflicts), plus watches.
/// </summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class KubernetesStoreIntegrationTests : IAsyncLifetime
{
    private readonly KubeControlPlane _controlPlane;
    private readonly IKubernetes _admin;
    private readonly KubernetesStore _store;
    private readonly string _ns = $"store-{Guid.NewGuid():N}"[..20];
    private readonly CancellationToken _ct = CancellationToken.None;

    public KubernetesStoreIntegrationTests(KubeControlPlane controlPlane)
    {
        _controlPlane = controlPlane;
        _admin = controlPlane.CreateClient();
        _store = new KubernetesStore(controlPlane.CreateClient(), ownsClient: true);
    }

    public async Task InitializeAsync()
    {
        new Kubectl(_controlPlane).EnsureCustomResourceDefinitions();
        await _admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = _ns } });
    }

    public async Task DisposeAsync()
    {
        await _admin.CoreV1.DeleteNamespaceAsync(_ns);
        _admin.Dispose();
        _store.Dispose();
    }

    private Machine NewMachine(string name, Dictionary<string, string>? labels = null) => new()
    {
        Metadata = { Name = name, Namespace = _ns, Labels = labels ?? new() { ["set"] = "workers" } },
        Spec = new MachineSpec
        {
            Versions = new MachineVersionInfo { Kubelet = "1.20.2" },
            ProviderSpec = new MachineProviderSpec { Value = new PacketMachineProviderSpec { OS = "ubuntu_22_04", MachineType = "c3.small.x86", Metro = "sv" } },
        },
    };

    [Fact]
    public async Task Create_get_update_and_status_follow_the_store_contract()
    {
        var input = NewMachine("m1");
        input.Status = new MachineStatus { Phase = "Running" };
        var created = await _store.CreateAsync(input, _ct);
        Assert.True(Guid.TryParse(created.Metadata.Uid, out _));
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Null(created.Status?.Phase); // the status subresource ignores status on create

        var exists = await Assert.ThrowsAsync<StoreConflictException>(() => _store.CreateAsync(NewMachine("m1"), _ct));
        Assert.Equal(StoreConflictException.ExistsErrorId, exists.ErrorId);

        created.Status = new MachineStatus { Phase = "Provisioning" };
        var withStatus = await _store.UpdateStatusAsync(created, _ct);
        Assert.Equal("Provisioning", withStatus.Status!.Phase);

        withStatus.Spec.ProviderID = "packet://abc";
        withStatus.Status.Phase = "Failed"; // ignored by Update
        var updated = await _store.UpdateAsync(withStatus, _ct);
        Assert.Equal(2, updated.Metadata.Generation);
        Assert.Equal("Provisioning", updated.Status!.Phase);
        Assert.Equal("packet://abc", (await _store.GetAsync<Machine>(_ns, "m1", _ct))!.Spec.ProviderID);

        // A write from a stale read is a conflict; the caller re-reads and retries.
        created.Spec.ProviderID = "packet://stale";
        Assert.Equal(StoreConflictException.ModifiedErrorId, (await Assert.ThrowsAsync<StoreConflictException>(() => _store.UpdateAsync(created, _ct))).ErrorId);
        Assert.Equal(StoreConflictException.ModifiedErrorId, (await Assert.ThrowsAsync<StoreConflictException>(() => _store.UpdateStatusAsync(created, _ct))).ErrorId);
        var ghost = NewMachine("ghost");
        ghost.Metadata.ResourceVersion = created.Metadata.ResourceVersion;
        var missing = await Assert.ThrowsAsync<PacketClusterException>(() => _store.UpdateAsync(ghost, _ct));
        Assert.Equal(FileStore.NotFoundErrorId, missing.ErrorId);
        Assert.Null(await _store.GetAsync<Machine>(_ns, "ghost", _ct));
    }

    [Fact]
    public async Task Finalizers_hold_a_deleted_object_until_the_last_is_removed()
    {
        var input = NewMachine("m1");
        input.Metadata.Finalizers = ["machine.cluster.k8s.io"];
        await _store.CreateAsync(input, _ct);

        await _store.DeleteAsync<Machine>(_ns, "m1", _ct);
        var deleting = (await _store.GetAsync<Machine>(_ns, "m1", _ct))!;
        Assert.NotNull(deleting.Metadata.DeletionTimestamp);

        deleting.Metadata.Finalizers = [];
        await _store.UpdateAsync(deleting, _ct);
        Assert.Null(await _store.GetAsync<Machine>(_ns, "m1", _ct));
        await _store.DeleteAsync<Machine>(_ns, "m1", _ct); // missing: not an error
    }

    [Fact]
    public async Task List_filters_by_labels_and_secrets_round_trip()
    {
        await _store.CreateAsync(NewMachine("w-2"), _ct);
        await _store.CreateAsync(NewMachine("w-1"), _ct);
        await _store.CreateAsync(NewMachine("cp", new() { ["set"] = "cp" }), _ct);
        Assert.Equal(["w-1", "w-2"], (await _store.ListAsync<Machine>(_ns, new Dictionary<string, string> { ["set"] = "workers" }, _ct)).Select(m => m.Name));
        Assert.Equal(3, (await _store.ListAsync<Machine>(_ns, null, _ct)).Count);
        Assert.Contains((await _store.ListAsync<Machine>("", null, _ct)), m => m.Name == "cp" && m.Metadata.Namespace == _ns);

        var bytes = new byte[] { 0, 1, 255, 10, 13 };
        await _store.CreateSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "demo-ca", NamespaceProperty = _ns }, Data = new Dictionary<string, byte[]> { ["tls.key"] = bytes } }, _ct);
        Assert.Equal(bytes, (await _store.GetSecretAsync(_ns, "demo-ca", _ct))!.Data["tls.key"]);
        await Assert.ThrowsAsync<StoreConflictException>(() => _store.CreateSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "demo-ca", NamespaceProperty = _ns } }, _ct));
        await _store.DeleteSecretAsync(_ns, "demo-ca", _ct);
        Assert.Null(await _store.GetSecretAsync(_ns, "demo-ca", _ct));
    }

    [Fact]
    public async Task Watch_lists_first_then_follows_changes_and_relists_after_410()
    {
        await _store.CreateAsync(NewMachine("before"), _ct);
        var events = new ConcurrentQueue<(WatchEventType Type, string Name)>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var watch = _store.WatchAsync<Machine>(_ns, (type, m, _) => { events.Enqueue((type, m.Name)); return Task.CompletedTask; }, stop.Token);

        await WaitForAsync(() => events.Contains((WatchEventType.Added, "before")));
        await _store.CreateAsync(NewMachine("after"), _ct);
        await WaitForAsync(() => events.Contains((WatchEventType.Added, "after")));
        await _store.DeleteAsync<Machine>(_ns, "after", _ct);
        await WaitForAsync(() => events.Contains((WatchEventType.Deleted, "after")));
        stop.Cancel();
        await watch; // ends quietly on cancellation

        // Resuming from a resourceVersion long compacted away: the server answers 410, the store lists again.
        Assert.Equal(1, _store.WatchLists);
        var relisted = new ConcurrentQueue<string>();
        using var stop2 = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var resumed = _store.WatchAsync<Machine>(_ns, (_, m, _) => { relisted.Enqueue(m.Name); return Task.CompletedTask; }, resumeFrom: "1", stop2.Token);
        await WaitForAsync(() => relisted.Contains("before"));
        Assert.Equal(2, _store.WatchLists);
        stop2.Cancel();
        await resumed;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the watch did not deliver the event within 30 s");
            await Task.Delay(50);
        }
    }
}
