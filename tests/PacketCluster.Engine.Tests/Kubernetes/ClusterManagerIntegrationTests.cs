using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;
using PacketCluster.Engine.Tests.Manifests;
using PacketCluster.Engine.Tests.Pki;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>
/// A cluster created on the embedded store, pivoted into the real API server, then kept by the ClusterManager alone:
/// a MachineDeployment edited in the API server scales, a device deleted behind our back is replaced, and a restarted
/// manager converges without creating anything.
/// </summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class ClusterManagerIntegrationTests(KubeControlPlane controlPlane) : IAsyncLifetime
{
    private const string Ns = ClusterOperations.DefaultNamespace;
    private readonly string _name = $"mgr{Guid.NewGuid():N}"[..10];
    private readonly TempDirectory _state = new("manager");
    private ProvisioningSimulator _simulator = null!;
    private PacketSession _session = null!;

    public async Task InitializeAsync()
    {
        new Kubectl(controlPlane).EnsureCustomResourceDefinitions();
        _simulator = await ProvisioningSimulator.StartAsync(seed: 5);
        _session = _simulator.Session;
    }

    public async Task DisposeAsync()
    {
        // Whatever the test left: devices and IPs by tag, then the objects in the API server.
        await ClusterOperations.DeleteAsync(_name, _state.Path, _session, NullEngineLog.Instance, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200), default);
        using var store = new KubernetesStore(controlPlane.CreateClient(), ownsClient: true);
        foreach (var m in await store.ListAsync<Machine>(Ns, Selector, default)) { m.Metadata.Finalizers = []; await store.UpdateAsync(m, default); await store.DeleteAsync<Machine>(Ns, m.Name, default); }
        foreach (var s in await store.ListAsync<MachineSet>(Ns, Selector, default)) await store.DeleteAsync<MachineSet>(Ns, s.Name, default);
        foreach (var d in await store.ListAsync<MachineDeployment>(Ns, Selector, default)) await store.DeleteAsync<MachineDeployment>(Ns, d.Name, default);
        if (await store.GetAsync<Cluster>(Ns, _name, default) is { } c) { c.Metadata.Finalizers = []; await store.UpdateAsync(c, default); await store.DeleteAsync<Cluster>(Ns, _name, default); }
        await _simulator.DisposeAsync();
        _state.Dispose();
    }

    private Dictionary<string, string> Selector => new() { [PacketCluster.Engine.Api.ClusterValidation.ClusterNameLabel] = _name };

    private ClusterManager Manager(KubernetesStore store) => new(store, _session, NullEngineLog.Instance, new ManagerOptions
    {
        Namespace = Ns, LeaderElection = false, PollInterval = TimeSpan.FromMilliseconds(250), ResyncInterval = TimeSpan.FromSeconds(1),
    });

    private Task<IReadOnlyList<Device>> DevicesAsync() => _simulator.DevicesAsync(_name);

    [Fact]
    public async Task The_manager_scales_replaces_and_converges_after_a_restart_without_recreating()
    {
        var config = _simulator.Definition(_name, workers: 1);
        await ClusterOperations.CreateAsync(new CreateClusterRequest
        {
            Config = config, StateRoot = _state.Path, Wait = new ChangeWait(true, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100)),
        }, _session, NullEngineLog.Instance, default);

        using var store = new KubernetesStore(controlPlane.CreateClient(), ownsClient: true);
        await using (var source = FileStore.Open(Path.Combine(_state.Path, _name)))
            await PivotOperation.RunAsync(source, Ns, _name, store, null, NullEngineLog.Instance, default);

        using var stop = new CancellationTokenSource();
        var run = Manager(store).RunAsync(stop.Token);
        try
        {
            // Scale up the way a user would with kubectl edit: change the stored MachineDeployment.
            var deployment = (await store.ListAsync<MachineDeployment>(Ns, Selector, default)).Single();
            deployment.Spec.Replicas = 3;
            await store.UpdateAsync(deployment, default);
            await WaitForAsync(async () => (await DevicesAsync()).Count(d => d.State == "active") == 4
                && (await store.ListAsync<Machine>(Ns, Selector, default)).Count(m => m.Status?.Phase == "Provisioned") == 4, "4 machines Provisioned");

            // A worker's device deleted behind our back is replaced.
            var victim = (await store.ListAsync<Machine>(Ns, Selector, default)).First(m => !m.IsControlPlane);
            var victimDevice = victim.Spec.ProviderID!["packet://".Length..];
            using (var admin = new HttpClient { BaseAddress = _simulator.Host.BaseUrl })
            {
                admin.DefaultRequestHeaders.Add("X-Auth-Token", _simulator.Host.ApiKey);
                (await admin.DeleteAsync($"devices/{victimDevice}")).EnsureSuccessStatusCode();
            }
            await WaitForAsync(async () =>
            {
                var devices = await DevicesAsync();
                return devices.Count(d => d.State == "active") == 4 && devices.All(d => d.Id != victimDevice);
            }, "the lost device replaced");
        }
        finally
        {
            stop.Cancel();
            await run.WaitAsync(TimeSpan.FromSeconds(30));
        }

        // A new manager (as after a restart or failover) converges without creating anything.
        var before = (await DevicesAsync()).Select(d => d.Id).Order().ToList();
        using var admin2 = new HttpClient { BaseAddress = _simulator.Host.AdminUrl };
        admin2.DefaultRequestHeaders.Add("X-Auth-Token", _simulator.Host.ApiKey);
        (await admin2.DeleteAsync("requests")).EnsureSuccessStatusCode();
        using var stop2 = new CancellationTokenSource();
        var manager2 = Manager(store);
        var run2 = manager2.RunAsync(stop2.Token);
        await WaitForAsync(() => Task.FromResult(manager2.Passes >= 3), "three passes of the restarted manager");
        stop2.Cancel();
        await run2.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(before, (await DevicesAsync()).Select(d => d.Id).Order().ToList());
        var requests = (await admin2.GetFromJsonAsync<JsonObject>("requests"))!["requests"]!.AsObject();
        Assert.DoesNotContain(requests, r => r.Key.StartsWith("POST", StringComparison.Ordinal) || r.Key.StartsWith("DELETE", StringComparison.Ordinal));
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within 60 s: {what}");
            await Task.Delay(200);
        }
    }
}
