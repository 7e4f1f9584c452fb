using System.Text.Json.Nodes;
using PacketCluster.Engine;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Pki;
using PacketCluster.Engine.Store;
using PacketCluster.Engine.Workload;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Simulator.Tests.Controllers;

/// <summary>
/// An in-process simulator on a manual clock, a state store, and both reconcilers on that clock. <see cref="SettleAsync"/>
/// reconciles everything, moves the clock one polling interval and repeats, a bounded number of rounds.
/// </summary>
public sealed class ControllerTestBed : IAsyncDisposable
{
    public const string Ns = "default";
    public const string ClusterName = "demo";

    /// <summary>One pass per polling interval: past the inventory's max age, so every round sees fresh device states.</summary>
    public static readonly TimeSpan Round = TimeSpan.FromSeconds(15);

    private ControllerTestBed(TestSimulator simulator, IStateStore store, PacketClient client, string stateDir, IWorkloadCluster? nodes)
    {
        Simulator = simulator;
        Store = store;
        Client = client;
        StateDir = stateDir;
        Context = ClusterReconcileContext.Create(store, client, simulator.ProjectId, NullEngineLog.Instance, simulator.Clock,
            nodes: nodes is null ? null : new NodeInventory(nodes, simulator.Clock));
        Clusters = new ClusterReconciler(Context);
        Machines = new MachineReconciler(Context);
    }

    public TestSimulator Simulator { get; }
    public IStateStore Store { get; }
    public PacketClient Client { get; }
    public string StateDir { get; }
    public ClusterReconcileContext Context { get; }
    public ClusterReconciler Clusters { get; }
    public MachineReconciler Machines { get; }
    public string ClusterTag => DeviceTags.ClusterId(ClusterName);

    /// <param name="nodes">Where the Machines' Nodes come from; default: the real workload cluster at the endpoint (none runs here).</param>
    public static async Task<ControllerTestBed> StartAsync(IWorkloadCluster? nodes = null)
    {
        var simulator = await TestSimulator.StartAsync();
        var stateDir = Directory.CreateTempSubdirectory("pc-controllers-").FullName;
        var store = TestStores.Create(stateDir);
        var client = new PacketClient(new PacketApiOptions
        {
            Endpoint = simulator.Host.BaseUrl, ApiKey = simulator.Host.ApiKey, ProjectId = simulator.ProjectId,
        }, NullEngineLog.Instance);
        return new ControllerTestBed(simulator, store, client, stateDir, nodes);
    }

    /// <summary>
    /// One PKI for the whole test run: RSA generation costs seconds on a small machine, and only the lifecycle test
    /// needs to prove generation; the others start from stored Secrets (the reconciler's resume path).
    /// </summary>
    private static readonly Lazy<ClusterPki> SharedPki = new(() => ClusterPki.Generate(ClusterName));

    /// <summary>A Cluster in metro sv plus one control plane and <paramref name="workers"/> workers.</summary>
    /// <param name="storedPki">Store a ready-made PKI as the cluster's Secrets instead of letting the reconciler generate one.</param>
    public async Task CreateClusterAsync(int workers = 2, bool storedPki = true)
    {
        var cluster = await Store.CreateAsync(new Cluster
        {
            Metadata = new ObjectMeta { Name = ClusterName, Namespace = Ns },
            Spec = new ClusterSpec
            {
                ClusterNetwork = new ClusterNetworkingConfig
                {
                    Pods = new NetworkRanges { CidrBlocks = ["192.168.0.0/16"] },
                    Services = new NetworkRanges { CidrBlocks = ["10.96.0.0/12"] },
                    ServiceDomain = "cluster.local",
                },
                ProviderSpec = new ClusterProviderSpec { Value = new PacketClusterProviderSpec { ProjectID = Simulator.ProjectId, Metro = "sv" } },
            },
        }, CancellationToken.None);
        if (storedPki)
        {
            var pki = SharedPki.Value;
            await Store.CreateSecretAsync(ClusterSecrets.CaSecret(ClusterSecrets.ClusterCa(ClusterName), cluster, pki.ClusterCa), CancellationToken.None);
            await Store.CreateSecretAsync(ClusterSecrets.CaSecret(ClusterSecrets.EtcdCa(ClusterName), cluster, pki.EtcdCa), CancellationToken.None);
            await Store.CreateSecretAsync(ClusterSecrets.CaSecret(ClusterSecrets.FrontProxyCa(ClusterName), cluster, pki.FrontProxyCa), CancellationToken.None);
            await Store.CreateSecretAsync(ClusterSecrets.ServiceAccountSecret(ClusterSecrets.ServiceAccount(ClusterName), cluster, pki.ServiceAccount), CancellationToken.None);
        }
        await Store.CreateAsync(NewMachine($"{ClusterName}-cp-0", controlPlane: true), CancellationToken.None);
        for (var i = 0; i < workers; i++)
            await Store.CreateAsync(NewMachine($"{ClusterName}-worker-{i}", controlPlane: false), CancellationToken.None);
    }

    public Machine NewMachine(string name, bool controlPlane) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = name, Namespace = Ns,
            Labels = new Dictionary<string, string> { [ClusterValidation.ClusterNameLabel] = ClusterName },
        },
        Spec = new MachineSpec
        {
            Versions = new MachineVersionInfo { Kubelet = "1.34.0", ControlPlane = controlPlane ? "1.34.0" : null },
            ProviderSpec = new MachineProviderSpec
            {
                Value = new PacketMachineProviderSpec
                {
                    OS = "ubuntu_22_04", MachineType = "c3.small.x86", BillingCycle = "hourly", Metro = "sv",
                    Roles = [controlPlane ? "Master" : "Node"],
                    SshKeys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 test"],
                    Tags = ["env:test"],
                },
            },
        },
    };

    /// <summary>One pass over the cluster and all its machines.</summary>
    public async Task ReconcileAllAsync()
    {
        await Clusters.ReconcileAsync(Ns, ClusterName, CancellationToken.None);
        foreach (var machine in await Store.ListAsync<Machine>(Ns, null, CancellationToken.None))
            await Machines.ReconcileAsync(Ns, machine.Name, CancellationToken.None);
    }

    /// <summary>Reconciles round after round until <paramref name="settled"/> holds; fails after <paramref name="maxRounds"/>.</summary>
    public async Task<int> SettleAsync(Func<Task<bool>> settled, int maxRounds = 20)
    {
        for (var round = 1; round <= maxRounds; round++)
        {
            await ReconcileAllAsync();
            if (await settled()) return round;
            Simulator.Clock.Advance(Round);
        }
        Assert.Fail($"Not settled after {maxRounds} rounds: {await DescribeAsync()}");
        return maxRounds;
    }

    public async Task<bool> AllMachinesAsync(string phase)
    {
        var machines = await Store.ListAsync<Machine>(Ns, null, CancellationToken.None);
        return machines.Count > 0 && machines.All(m => m.Status?.Phase == phase);
    }

    public async Task<string> DescribeAsync()
    {
        var cluster = await Store.GetAsync<Cluster>(Ns, ClusterName, CancellationToken.None);
        var machines = await Store.ListAsync<Machine>(Ns, null, CancellationToken.None);
        return $"cluster {cluster?.Status?.Phase}; " + string.Join(", ", machines.Select(m =>
            $"{m.Name}={m.Status?.Phase}/{m.Status?.ProviderStatus?.State}/{m.Status?.ErrorReason}"));
    }

    public async Task<IReadOnlyList<Device>> ClusterDevicesAsync() =>
        await Client.FindDevicesByTagAsync(Simulator.ProjectId, ClusterTag);

    public async Task<IReadOnlyList<IpReservation>> ClusterReservationsAsync() =>
        (await Client.ListIpReservationsAsync(Simulator.ProjectId)).Where(r => r.Tags.Contains(ClusterTag)).ToList();

    /// <summary>The simulator's request counter ("METHOD /template" → n), without the admin calls.</summary>
    public async Task<(int Total, IReadOnlyDictionary<string, int> ByRoute)> RequestCountsAsync()
    {
        using var admin = Simulator.AdminClient();
        var body = JsonNode.Parse(await admin.GetStringAsync("requests"))!;
        var routes = body["requests"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<int>());
        return (body["total"]!.GetValue<int>(), routes);
    }

    public async Task ClearRequestCountsAsync()
    {
        using var admin = Simulator.AdminClient();
        (await admin.DeleteAsync("requests")).EnsureSuccessStatusCode();
    }

    public async Task FailDeviceAsync(string deviceId)
    {
        using var admin = Simulator.AdminClient();
        (await admin.PostAsync($"devices/{deviceId}/fail", null)).EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        Context.Dispose();
        if (Store is IAsyncDisposable disposable) await disposable.DisposeAsync();
        await Simulator.DisposeAsync();
        try { Directory.Delete(StateDir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>Which IStateStore the controller tests run on.</summary>
internal static class TestStores
{
    /// <summary>The FileStore the engine ships (one YAML folder per cluster), in a temp folder per test.</summary>
    public static IStateStore Create(string stateDir) => FileStore.Open(stateDir);
}
