using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Workload;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Simulator.Tests.Controllers;

/// <summary>
/// MachineHealthCheck decisions against the simulator's devices on a manual clock, with Node conditions scripted per
/// round (the real node lifecycle controller turning a powered-off machine's Node Unknown is proven end to end in
/// HealthChecks.Tests.ps1).
/// </summary>
public sealed class MachineHealthCheckIntegrationTests
{
    private const string Ns = ControllerTestBed.Ns;
    private const string Cluster = ControllerTestBed.ClusterName;

    /// <summary>Every machine with an active device has a Node; those in <see cref="Down"/> are Ready=Unknown since then.</summary>
    private sealed class Fleet
    {
        public ScriptedNodes Nodes { get; } = new();
        public Dictionary<string, DateTimeOffset> Down { get; } = new(StringComparer.Ordinal);
        private List<Machine> _machines = [];
        private readonly DateTimeOffset _upSince;

        public Fleet(DateTimeOffset upSince)
        {
            _upSince = upSince;
            Nodes.Answer = () => _machines
                .Where(m => m.Status?.ProviderStatus?.State is "active" or "inactive" or "powering_off" or "powering_on" && m.Spec.ProviderID is not null && !Silent.Contains(m.Name))
                .Select(m => Down.TryGetValue(m.Name, out var since)
                    ? new WorkloadNode(m.Name, "uid-" + m.Name, m.Spec.ProviderID, false, null, [new NodeCondition("Ready", "Unknown", since)])
                    : new WorkloadNode(m.Name, "uid-" + m.Name, m.Spec.ProviderID, true, null, [new NodeCondition("Ready", "True", _upSince)]))
                .ToList();
        }

        /// <summary>Machines that never register a Node.</summary>
        public HashSet<string> Silent { get; } = new(StringComparer.Ordinal);

        public async Task RefreshAsync(ControllerTestBed bed) => _machines = [.. await bed.Store.ListAsync<Machine>(Ns, null, default)];
    }

    private static async Task<(ControllerTestBed Bed, Fleet Fleet, ClusterReconcileLoop Loop)> StartAsync(int workers, string maxUnhealthy, string startup = "5m")
    {
        var fleet = new Fleet(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero));
        var bed = await ControllerTestBed.StartAsync(fleet.Nodes);
        await bed.CreateClusterAsync(workers: 0);
        var labels = HealthCheckRules.WorkerSelector(Cluster);
        if (workers > 0) await bed.Store.CreateAsync(new MachineSet
        {
            Metadata = new ObjectMeta { Name = $"{Cluster}-pool", Namespace = Ns, Labels = new(labels) },
            Spec = new MachineSetSpec
            {
                Replicas = workers,
                Selector = new LabelSelector { MatchLabels = new(labels) },
                Template = new MachineTemplateSpec { Metadata = new ObjectMeta { Labels = new(labels) }, Spec = bed.NewMachine("template", controlPlane: false).Spec },
            },
        }, default);
        var check = HealthCheckRules.New(Cluster, $"{Cluster}-workers", Ns, labels, TimeSpan.FromSeconds(60), HealthCheckRules.ParseDuration(startup)!.Value, maxUnhealthy);
        await bed.Store.CreateAsync(check, default);
        return (bed, fleet, new ClusterReconcileLoop(bed.Context, Ns, Cluster));
    }

    private static async Task SettleAsync(ControllerTestBed bed, Fleet fleet, ClusterReconcileLoop loop, Func<Task<bool>> settled, int maxRounds = 40)
    {
        for (var round = 1; round <= maxRounds; round++)
        {
            await fleet.RefreshAsync(bed);
            await loop.RunOnceAsync(default);
            if (await settled()) return;
            bed.Simulator.Clock.Advance(ControllerTestBed.Round);
        }
        Assert.Fail($"Not settled after {maxRounds} rounds: {await bed.DescribeAsync()}; health check: {(await CheckAsync(bed)).Status}");
    }

    private static async Task<MachineHealthCheck> CheckAsync(ControllerTestBed bed) => (await bed.Store.GetAsync<MachineHealthCheck>(Ns, $"{Cluster}-workers", default))!;

    private static async Task<List<Machine>> WorkersAsync(ControllerTestBed bed) =>
        (await bed.Store.ListAsync<Machine>(Ns, null, default)).Where(m => !m.IsControlPlane).OrderBy(m => m.Name).ToList();

    private static async Task<bool> AllRunningAsync(ControllerTestBed bed, int workers)
    {
        var all = await bed.Store.ListAsync<Machine>(Ns, null, default);
        return all.Count == workers + 1 && all.All(m => m.Status?.Phase == Phases.Running);
    }

    private static Condition? Health(Machine m) => m.Status?.Conditions?.FirstOrDefault(c => c.Type == Conditions.HealthCheckSucceeded);

    [Fact]
    public async Task A_worker_whose_Node_stays_Unknown_past_the_timeout_is_replaced_through_its_MachineSet()
    {
        var (bed, fleet, loop) = await StartAsync(workers: 3, maxUnhealthy: "40%");
        await using var _ = bed;
        await SettleAsync(bed, fleet, loop, () => AllRunningAsync(bed, 3));
        var check = await CheckAsync(bed);
        Assert.Equal((3, 3, 0), (check.Expected, check.Healthy, check.Remediations));
        Assert.All(await WorkersAsync(bed), m => Assert.Equal("True", Health(m)!.Status));
        Assert.Null(Health((await bed.Store.ListAsync<Machine>(Ns, null, default)).Single(m => m.IsControlPlane))); // not a target

        var victim = (await WorkersAsync(bed))[0];
        fleet.Down[victim.Name] = bed.Simulator.Clock.GetUtcNow();
        // Within the timeout: reported as pending, nothing deleted.
        bed.Simulator.Clock.Advance(ControllerTestBed.Round);
        await fleet.RefreshAsync(bed);
        await loop.RunOnceAsync(default);
        var pending = Health((await bed.Store.GetAsync<Machine>(Ns, victim.Name, default))!)!;
        Assert.Equal(("True", "Healthy"), (pending.Status, pending.Reason));
        Assert.Contains("Ready=Unknown since", pending.Message);

        await SettleAsync(bed, fleet, loop, async () => await bed.Store.GetAsync<Machine>(Ns, victim.Name, default) is null);
        await SettleAsync(bed, fleet, loop, () => AllRunningAsync(bed, 3));
        Assert.DoesNotContain(victim.Name, (await WorkersAsync(bed)).Select(m => m.Name));
        Assert.DoesNotContain(await bed.ClusterDevicesAsync(), d => d.Id == victim.Spec.ProviderID!["packet://".Length..]);
        Assert.Contains(victim.Name, fleet.Nodes.Deleted);
        check = await CheckAsync(bed);
        Assert.Equal((3, 3, 1), (check.Expected, check.Healthy, check.Remediations));
        Assert.Equal("allowed", check.Remediation);
    }

    [Fact]
    public async Task Three_of_five_unhealthy_with_maxUnhealthy_40_percent_is_a_short_circuit_and_they_recover_without_replacement()
    {
        var (bed, fleet, loop) = await StartAsync(workers: 5, maxUnhealthy: "40%");
        await using var _ = bed;
        await SettleAsync(bed, fleet, loop, () => AllRunningAsync(bed, 5));
        var before = (await WorkersAsync(bed)).Select(m => m.Name).ToList();
        var devices = (await bed.ClusterDevicesAsync()).Select(d => d.Id).ToHashSet();

        // Some time after their devices became active (a Node cannot fail before its device is up).
        bed.Simulator.Clock.Advance(TimeSpan.FromMinutes(1));
        await fleet.RefreshAsync(bed);
        await loop.RunOnceAsync(default);
        // Unknown 10 s apart, as the node lifecycle controller marks them (each after its own last heartbeat): the first to
        // time out is not replaced while the others are about to follow.
        foreach (var (name, i) in before.Take(3).Select((n, i) => (n, i)))
            fleet.Down[name] = bed.Simulator.Clock.GetUtcNow() - TimeSpan.FromSeconds(10 * (2 - i));
        bed.Simulator.Clock.Advance(ControllerTestBed.Round);
        await fleet.RefreshAsync(bed);
        await loop.RunOnceAsync(default);
        Assert.Equal("TooManyUnhealthy", (await CheckAsync(bed)).Remediation);
        Assert.Equal(2, (await CheckAsync(bed)).Healthy);
        async Task PassAsync()
        {
            bed.Simulator.Clock.Advance(ControllerTestBed.Round);
            await fleet.RefreshAsync(bed);
            await loop.RunOnceAsync(default);
        }
        // Well past the timeout: still nothing deleted, and the health check says why.
        for (var round = 0; round < 10; round++)
        {
            bed.Simulator.Clock.Advance(ControllerTestBed.Round);
            await fleet.RefreshAsync(bed);
            await loop.RunOnceAsync(default);
        }
        var check = await CheckAsync(bed);
        Assert.Equal("TooManyUnhealthy", check.Remediation);
        Assert.Equal((5, 2, 0, 0), (check.Expected, check.Healthy, check.Remediations, check.Status!.RemediationsAllowed));
        var condition = check.Status.Conditions!.Single(c => c.Type == Conditions.RemediationAllowed);
        Assert.Contains("3 of 5 machines are unhealthy", condition.Message);
        Assert.Contains("nothing is remediated", condition.Message);
        Assert.Equal(before, (await WorkersAsync(bed)).Select(m => m.Name));
        Assert.All(await WorkersAsync(bed), m => Assert.Null(m.Metadata.DeletionTimestamp));
        Assert.Equal(devices, (await bed.ClusterDevicesAsync()).Select(d => d.Id).ToHashSet());
        var down = (await WorkersAsync(bed)).Where(m => fleet.Down.ContainsKey(m.Name)).ToList();
        Assert.All(down, m => Assert.Equal(("False", "UnhealthyNode"), (Health(m)!.Status, Health(m)!.Reason)));
        Assert.All(down, m => Assert.Contains("too many machines are unhealthy at once", Health(m)!.Message));

        // A steady short-circuit writes nothing: the same verdicts are no new status.
        var versions = (await bed.Store.ListAsync<Machine>(Ns, null, default)).ToDictionary(m => m.Name, m => m.Metadata.ResourceVersion);
        var checkVersion = (await CheckAsync(bed)).Metadata.ResourceVersion;
        bed.Simulator.Clock.Advance(ControllerTestBed.Round);
        await fleet.RefreshAsync(bed);
        await loop.RunOnceAsync(default);
        Assert.Equal(checkVersion, (await CheckAsync(bed)).Metadata.ResourceVersion);
        Assert.Equal(versions, (await bed.Store.ListAsync<Machine>(Ns, null, default)).ToDictionary(m => m.Name, m => m.Metadata.ResourceVersion));

        // Their devices were off all along; powered back on, they come back one by one. Lifting the short-circuit does
        // not replace the last: a device active again gets the node startup timeout (5m here) for its kubelet to start.
        foreach (var name in before.Take(3))
            await bed.Client.PerformDeviceActionAsync(down.Single(m => m.Name == name).Status!.ProviderStatus!.DeviceID!, DeviceActionType.PowerOff);
        for (var round = 0; round < 2; round++) await PassAsync();
        Assert.All((await WorkersAsync(bed)).Where(m => fleet.Down.ContainsKey(m.Name)), m => Assert.Equal("PoweredOff", m.Status!.Conditions!.Single(c => c.Type == Conditions.DeviceReady).Reason));
        foreach (var name in before.Take(3))
            await bed.Client.PerformDeviceActionAsync(down.Single(m => m.Name == name).Status!.ProviderStatus!.DeviceID!, DeviceActionType.PowerOn);
        for (var round = 0; round < 2; round++) await PassAsync();
        fleet.Down.Remove(before[0]);
        fleet.Down.Remove(before[1]);
        for (var round = 0; round < 10; round++) // 150 s, well past the 60 s timeout
        {
            await PassAsync();
            Assert.Equal(0, (await CheckAsync(bed)).Remediations);
            Assert.Null((await bed.Store.GetAsync<Machine>(Ns, before[2], default))!.Metadata.DeletionTimestamp);
        }
        Assert.Equal("allowed", (await CheckAsync(bed)).Remediation);
        Assert.Equal("starting", (await bed.Store.GetAsync<Machine>(Ns, before[2], default))!.Health);
        fleet.Down.Clear();
        await SettleAsync(bed, fleet, loop, async () => (await CheckAsync(bed)).Healthy == 5);
        check = await CheckAsync(bed);
        Assert.Equal(("allowed", 0), (check.Remediation, check.Remediations));
        Assert.Equal(before, (await WorkersAsync(bed)).Select(m => m.Name));
        Assert.Equal(devices, (await bed.ClusterDevicesAsync()).Select(d => d.Id).ToHashSet());
        Assert.All(await WorkersAsync(bed), m => Assert.Equal("True", Health(m)!.Status));
    }

    [Fact]
    public async Task A_worker_that_cannot_join_because_of_its_configuration_is_replaced_with_backoff_not_in_a_loop()
    {
        var (bed, fleet, loop) = await StartAsync(workers: 1, maxUnhealthy: "1", startup: "2m");
        await using var _ = bed;
        var startup = TimeSpan.FromMinutes(2);
        // Every worker device boots with userdata that pins another CA (as if the template's source were wrong).
        var rewritten = new HashSet<string>();
        var replacedAt = new List<DateTimeOffset>();
        var seen = new HashSet<string>();
        async Task PinWrongAsync()
        {
            foreach (var m in await WorkersAsync(bed))
            {
                fleet.Silent.Add(m.Name);
                if (seen.Add(m.Name) && seen.Count > 1) replacedAt.Add(bed.Simulator.Clock.GetUtcNow());
                var id = m.Status?.ProviderStatus?.DeviceID;
                if (id is null || !rewritten.Add(id)) continue;
                var userdata = await bed.Client.GetDeviceUserdataAsync(id);
                var pin = JoinDiscovery.FromUserdata(userdata)!.CaCertHashes.Single();
                await bed.Client.UpdateDeviceAsync(id, new DeviceUpdateRequest { Userdata = userdata.Replace(pin, "sha256:" + new string('0', 64), StringComparison.Ordinal) });
            }
        }

        var start = bed.Simulator.Clock.GetUtcNow();
        Condition? backedOff = null;
        for (var round = 0; round < 80; round++)
        {
            await fleet.RefreshAsync(bed);
            await PinWrongAsync();
            await loop.RunOnceAsync(default);
            if ((await WorkersAsync(bed)).Select(Health).FirstOrDefault(h => h?.Reason == "ConfigurationFailure") is { } h) backedOff = h;
            bed.Simulator.Clock.Advance(ControllerTestBed.Round);
        }
        // 20 minutes: without backoff a 2-minute startup timeout would have replaced it about 8 times.
        var elapsed = bed.Simulator.Clock.GetUtcNow() - start;
        Assert.Equal(TimeSpan.FromMinutes(20), elapsed);
        Assert.InRange(replacedAt.Count, 1, 3);
        for (var i = 1; i < replacedAt.Count; i++)
            Assert.True(replacedAt[i] - replacedAt[i - 1] >= 2 * startup, $"replacement {i + 1} came {replacedAt[i] - replacedAt[i - 1]} after the one before");

        Assert.NotNull(backedOff);
        Assert.Equal("False", backedOff.Status);
        Assert.Contains("CaPinMismatch", backedOff.Message);
        Assert.Contains("would most likely fail the same way", backedOff.Message);
        var check = await CheckAsync(bed);
        Assert.Equal(replacedAt.Count, check.Remediations);
        var backoff = check.Status!.ConfigurationFailures!.Single();
        Assert.Equal(($"{Cluster}-pool", "CaPinMismatch", replacedAt.Count), (backoff.Owner, backoff.Reason, backoff.Replacements));
    }

    [Fact]
    public async Task Control_planes_and_machines_no_set_owns_are_reported_never_deleted_and_nothing_is_judged_without_a_Node_list()
    {
        var (bed, fleet, loop) = await StartAsync(workers: 0, maxUnhealthy: "100%");
        await using var _ = bed;
        await bed.Store.CreateAsync(bed.NewMachine($"{Cluster}-lone", controlPlane: false) is var lone
            ? new Machine { Metadata = new ObjectMeta { Name = lone.Name, Namespace = Ns, Labels = HealthCheckRules.WorkerSelector(Cluster) }, Spec = lone.Spec } : null!, default);
        var control = HealthCheckRules.New(Cluster, $"{Cluster}-cp", Ns, new() { [PacketCluster.Engine.Api.ClusterValidation.ClusterNameLabel] = Cluster, ["role"] = "cp" },
            TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(5), "100%");
        await bed.Store.CreateAsync(control, default);
        var cp = (await bed.Store.ListAsync<Machine>(Ns, null, default)).Single(m => m.IsControlPlane);
        cp.Metadata.Labels!["role"] = "cp";
        await bed.Store.UpdateAsync(cp, default);
        await SettleAsync(bed, fleet, loop, () => AllRunningAsync(bed, 1));

        // The Node list cannot be read (an API server outage): no verdict at all, whatever the Nodes last said.
        var answer = fleet.Nodes.Answer;
        fleet.Nodes.Answer = null;
        fleet.Down[cp.Name] = fleet.Down[$"{Cluster}-lone"] = bed.Simulator.Clock.GetUtcNow();
        for (var round = 0; round < 8; round++)
        {
            bed.Simulator.Clock.Advance(ControllerTestBed.Round);
            await fleet.RefreshAsync(bed);
            await loop.RunOnceAsync(default);
        }
        Assert.Equal("NodesUnavailable", (await CheckAsync(bed)).Remediation);
        Assert.All(await bed.Store.ListAsync<Machine>(Ns, null, default), m => Assert.Null(m.Metadata.DeletionTimestamp));

        // Nodes readable again, both long Unknown: first one more timeout to recover (the outage just ended), then
        // reported with what to do, never deleted.
        fleet.Nodes.Answer = answer;
        bed.Simulator.Clock.Advance(ControllerTestBed.Round);
        await fleet.RefreshAsync(bed);
        await loop.RunOnceAsync(default);
        Assert.All(await bed.Store.ListAsync<Machine>(Ns, null, default), m => Assert.Contains("one more timeout to recover", Health(m)!.Message));
        for (var round = 0; round < 5; round++)
        {
            bed.Simulator.Clock.Advance(ControllerTestBed.Round);
            await fleet.RefreshAsync(bed);
            await loop.RunOnceAsync(default);
        }
        var machines = await bed.Store.ListAsync<Machine>(Ns, null, default);
        Assert.Equal(2, machines.Count);
        Assert.All(machines, m => Assert.Null(m.Metadata.DeletionTimestamp));
        Assert.Contains("Set-PacketControlPlane", Health(machines.Single(m => m.IsControlPlane))!.Message);
        Assert.Contains("no MachineSet owns it", Health(machines.Single(m => !m.IsControlPlane))!.Message);
        Assert.Equal("allowed", (await CheckAsync(bed)).Remediation);
        Assert.Equal(0, (await CheckAsync(bed)).Remediations);
    }
}
