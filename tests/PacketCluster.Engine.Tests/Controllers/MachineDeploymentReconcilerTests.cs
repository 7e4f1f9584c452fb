using PacketCluster.Engine.Controllers;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Controllers;

public sealed class MachineDeploymentReconcilerTests
{
    [Fact]
    public async Task CreatesOneHashNamedSetAndItsMachines()
    {
        using var h = new ReplicaHarness();
        var deployment = await h.CreateDeploymentAsync("workers", replicas: 3);

        await h.SettleAsync();

        var set = Assert.Single(await h.MachineSetsAsync());
        var hash = TemplateHash.Compute(deployment.Spec.Template!);
        Assert.Equal($"workers-{hash}", set.Name);
        Assert.Equal(hash, set.Metadata.Labels![TemplateHash.Label]);
        Assert.Equal(hash, set.Spec.Selector!.MatchLabels![TemplateHash.Label]);
        Assert.Equal(deployment.Metadata.Uid, ReplicaOwnership.ControllerOf(set)!.Uid);
        Assert.Equal(3, set.Spec.Replicas);
        var machines = await h.MachinesAsync();
        Assert.Equal(3, machines.Count);
        Assert.All(machines, m => Assert.Equal(hash, m.Metadata.Labels![TemplateHash.Label]));

        await h.ProvisionAllAsync();
        await h.SettleAsync();
        var status = (await h.GetAsync<MachineDeployment>("workers"))!.Status!;
        Assert.Equal(3, status.Replicas);
        Assert.Equal(3, status.UpdatedReplicas);
        Assert.Equal(3, status.ReadyReplicas);
        Assert.Equal(3, status.AvailableReplicas);
        Assert.Equal(0, status.UnavailableReplicas);
        Assert.Equal(1, status.ObservedGeneration);
        Assert.Equal("pool=workers", status.Selector);
    }

    [Fact]
    public async Task ReplicaChangesPropagateToTheSet()
    {
        using var h = new ReplicaHarness();
        await h.CreateDeploymentAsync("workers", replicas: 1);
        await h.SettleAsync();
        await h.ProvisionAllAsync();

        await h.ChangeAsync<MachineDeployment>("workers", d => d.Spec.Replicas = 4);
        await h.SettleAsync();
        Assert.Equal(4, (await h.MachinesAsync()).Count);

        await h.ChangeAsync<MachineDeployment>("workers", d => d.Spec.Replicas = 2);
        await h.SettleAsync();
        Assert.Equal(2, (await h.MachinesAsync()).Count);
        Assert.Equal(2, Assert.Single(await h.MachineSetsAsync()).Spec.Replicas);
    }

    [Theory]
    [InlineData(null, null, 3)]   // the defaults we ship: surge 1, unavailable 0
    [InlineData("0", "1", 3)]
    [InlineData("2", "1", 5)]
    [InlineData("25%", "25%", 4)]
    public async Task AVersionChangeRollsWithinTheSurgeAndAvailabilityLimits(string? maxSurge, string? maxUnavailable, int replicas)
    {
        using var h = new ReplicaHarness();
        await h.CreateDeploymentAsync("workers", replicas, maxSurge, maxUnavailable);
        await h.SettleAsync();
        await h.ProvisionAllAsync();
        await h.SettleAsync();
        var budget = RollingUpdateBudget.For(new MachineRollingUpdateDeployment { MaxSurge = maxSurge, MaxUnavailable = maxUnavailable }, replicas);
        var original = (await h.MachinesAsync()).Select(m => m.Name).ToHashSet();

        await h.ChangeAsync<MachineDeployment>("workers", d => d.Spec.Template!.Spec!.Versions!.Kubelet = "1.31.0");

        var peak = 0;
        async Task CheckInvariants()
        {
            var live = (await h.MachinesAsync()).Where(m => m.Metadata.DeletionTimestamp is null).ToList();
            peak = Math.Max(peak, live.Count);
            Assert.True(live.Count <= replicas + budget.MaxSurge, $"{live.Count} machines exceed {replicas} + surge {budget.MaxSurge}");
            var available = live.Count(MachineReadiness.IsReady);
            Assert.True(available >= replicas - budget.MaxUnavailable, $"{available} available is below {replicas} - {budget.MaxUnavailable}");
        }

        var done = false;
        for (var round = 0; round < 10 * replicas && !done; round++)
        {
            await h.PassAsync(CheckInvariants);
            // The Machine reconciler's part: new machines come up between passes.
            await h.ProvisionAllAsync();
            await CheckInvariants();
            var machines = await h.MachinesAsync();
            done = machines.Count == replicas
                && machines.All(m => m.Spec.Versions?.Kubelet == "1.31.0" && m.Status?.Phase == Phases.Running);
        }

        Assert.True(done, "the rollout did not finish within the bound");
        await h.SettleAsync(afterEach: CheckInvariants);
        var final = await h.MachinesAsync();
        Assert.Equal(replicas, final.Count);
        Assert.DoesNotContain(final, m => original.Contains(m.Name));
        // revisionHistoryLimit 1 (default) keeps the drained old revision at zero replicas.
        var sets = await h.MachineSetsAsync();
        Assert.Equal(2, sets.Count);
        Assert.Equal(new[] { 0, replicas }, sets.Select(s => s.Spec.Replicas ?? 0).Order());
        if (maxSurge is null && maxUnavailable is null) Assert.Equal(replicas + 1, peak); // one at a time: never more than one extra
        var status = (await h.GetAsync<MachineDeployment>("workers"))!.Status!;
        Assert.Equal(replicas, status.UpdatedReplicas);
        Assert.Equal(replicas, status.AvailableReplicas);
        Assert.Equal(2, status.ObservedGeneration);
    }

    [Fact]
    public async Task DefaultsReplaceMachinesOneByOne()
    {
        using var h = new ReplicaHarness();
        await h.CreateDeploymentAsync("workers", replicas: 3);
        await h.SettleAsync();
        await h.ProvisionAllAsync();
        await h.SettleAsync();

        await h.ChangeAsync<MachineDeployment>("workers", d => d.Spec.Template!.Spec!.Versions!.Kubelet = "1.31.0");
        var history = new List<(int Old, int New)>();
        for (var round = 0; round < 30; round++)
        {
            await h.SettleAsync();
            var machines = await h.MachinesAsync();
            history.Add((machines.Count(m => m.Spec.Versions?.Kubelet == "1.30.2"), machines.Count(m => m.Spec.Versions?.Kubelet == "1.31.0")));
            if (await h.ProvisionAllAsync() == 0) break;
        }

        // Settled states while the machines of the new version come up one at a time.
        Assert.Equal(new[] { (3, 1), (2, 2), (1, 3), (0, 3) }, history);
    }

    [Fact]
    public async Task APausedDeploymentDoesNothing()
    {
        using var h = new ReplicaHarness();
        await h.CreateDeploymentAsync("paused", replicas: 2, paused: true);
        await h.SettleAsync();
        Assert.Empty(await h.MachineSetsAsync());
        Assert.Empty(await h.MachinesAsync());

        await h.ChangeAsync<MachineDeployment>("paused", d => d.Spec.Paused = false);
        await h.SettleAsync();
        await h.ProvisionAllAsync();
        var before = (await h.MachinesAsync()).Select(m => m.Name).Order().ToList();
        Assert.Equal(2, before.Count);

        await h.ChangeAsync<MachineDeployment>("paused", d =>
        {
            d.Spec.Paused = true;
            d.Spec.Template!.Spec!.Versions!.Kubelet = "1.31.0";
            d.Spec.Replicas = 5;
        });
        await h.SettleAsync();

        Assert.Single(await h.MachineSetsAsync());
        Assert.Equal(before, (await h.MachinesAsync()).Select(m => m.Name).Order().ToList());
    }

    [Fact]
    public async Task DeletingADeploymentRemovesItsSetsAndMachines()
    {
        using var h = new ReplicaHarness();
        await h.CreateDeploymentAsync("workers", replicas: 2);
        await h.CreateDeploymentAsync("others", replicas: 1);
        await h.SettleAsync();
        // Mid-rollout, so there are two revisions to remove.
        await h.ChangeAsync<MachineDeployment>("workers", d => d.Spec.Template!.Spec!.Versions!.Kubelet = "1.31.0");
        await h.SettleAsync();
        Assert.Equal(3, (await h.MachineSetsAsync()).Count);

        await h.Store.DeleteAsync<MachineDeployment>(ReplicaHarness.Ns, "workers", CancellationToken.None);
        await h.SettleAsync();

        Assert.Null(await h.GetAsync<MachineDeployment>("workers"));
        var set = Assert.Single(await h.MachineSetsAsync());
        Assert.StartsWith("others-", set.Name);
        var machine = Assert.Single(await h.MachinesAsync());
        Assert.StartsWith("others-", machine.Name);
    }

    [Fact]
    public async Task ADeletedClusterTakesItsDeploymentsAndSetsAlongInsteadOfHavingMachinesRecreated()
    {
        using var h = new ReplicaHarness();
        await h.Store.CreateAsync(new Cluster
        {
            // The Cluster reconciler's finalizer holds it while descendants go.
            Metadata = new ObjectMeta { Name = ReplicaHarness.ClusterName, Namespace = ReplicaHarness.Ns, Finalizers = [Finalizers.Cluster] },
        }, CancellationToken.None);
        await h.CreateDeploymentAsync("workers", replicas: 2);
        await h.CreateSetAsync("standalone", replicas: 1);
        await h.SettleAsync();
        Assert.Equal(3, (await h.MachinesAsync()).Count);

        await h.Store.DeleteAsync<Cluster>(ReplicaHarness.Ns, ReplicaHarness.ClusterName, CancellationToken.None);
        await h.SettleAsync();

        Assert.Empty(await h.MachinesAsync());
        Assert.Empty(await h.MachineSetsAsync());
        Assert.Null(await h.GetAsync<MachineDeployment>("workers"));
    }

    [Fact]
    public async Task RevertingTheTemplateReusesTheKeptRevision()
    {
        using var h = new ReplicaHarness();
        await h.CreateDeploymentAsync("workers", replicas: 1);
        await h.SettleAsync();
        await h.ProvisionAllAsync();
        var first = Assert.Single(await h.MachineSetsAsync()).Name;

        await h.ChangeAsync<MachineDeployment>("workers", d => d.Spec.Template!.Spec!.Versions!.Kubelet = "1.31.0");
        for (var i = 0; i < 5; i++) { await h.SettleAsync(); await h.ProvisionAllAsync(); }
        await h.ChangeAsync<MachineDeployment>("workers", d => d.Spec.Template!.Spec!.Versions!.Kubelet = "1.30.2");
        for (var i = 0; i < 5; i++) { await h.SettleAsync(); await h.ProvisionAllAsync(); }

        var sets = await h.MachineSetsAsync();
        Assert.Equal(2, sets.Count); // revisionHistoryLimit 1 keeps the 1.31.0 set at zero
        Assert.Equal(1, sets.Single(s => s.Name == first).Spec.Replicas);
        Assert.Equal(0, sets.Single(s => s.Name != first).Spec.Replicas);
    }
}
