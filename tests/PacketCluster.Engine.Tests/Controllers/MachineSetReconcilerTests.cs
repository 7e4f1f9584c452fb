using System.Text.RegularExpressions;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Controllers;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Controllers;

public sealed class MachineSetReconcilerTests
{
    [Fact]
    public async Task ScalesUpFromOneToThreeWithNamedLabelledOwnedMachines()
    {
        using var h = new ReplicaHarness();
        var set = await h.CreateSetAsync("workers", replicas: 1);
        await h.SettleAsync();
        Assert.Single(await h.MachinesAsync());

        await h.ChangeAsync<MachineSet>("workers", s => s.Spec.Replicas = 3);
        await h.SettleAsync();

        var machines = await h.MachinesAsync();
        Assert.Equal(3, machines.Count);
        foreach (var machine in machines)
        {
            Assert.Matches(new Regex("^workers-[a-z0-9]{5}$"), machine.Name);
            Assert.Equal("workers", machine.Metadata.Labels!["pool"]);
            Assert.Equal(ReplicaHarness.ClusterName, machine.Metadata.Labels![ClusterValidation.ClusterNameLabel]);
            var owner = Assert.Single(machine.Metadata.OwnerReferences!);
            Assert.True(owner.Controller);
            Assert.Equal(set.Metadata.Uid, owner.Uid);
            Assert.Equal("MachineSet", owner.Kind);
            Assert.Equal("1.30.2", machine.Spec.Versions?.Kubelet);
        }

        var status = (await h.GetAsync<MachineSet>("workers"))!.Status!;
        Assert.Equal(3, status.Replicas);
        Assert.Equal(3, status.FullyLabeledReplicas);
        Assert.Equal(0, status.ReadyReplicas);
        Assert.Equal("pool=workers", status.Selector);
        Assert.Equal(2, status.ObservedGeneration);
    }

    [Fact]
    public async Task ReadyCountsRunningAndProvisionedMachines()
    {
        using var h = new ReplicaHarness();
        await h.CreateSetAsync("workers", replicas: 3);
        await h.SettleAsync();
        var machines = await h.MachinesAsync();
        await h.SetPhaseAsync(machines[0], Phases.Running);
        await h.SetPhaseAsync(machines[1], Phases.Provisioned);
        await h.SetPhaseAsync(machines[2], Phases.Provisioning);
        await h.SettleAsync();

        var status = (await h.GetAsync<MachineSet>("workers"))!.Status!;
        Assert.Equal(2, status.ReadyReplicas);
        Assert.Equal(2, status.AvailableReplicas);
    }

    [Fact]
    public async Task ScalesDownFromThreeToOneGivingUpMarkedAndUnprovisionedMachinesFirst()
    {
        using var h = new ReplicaHarness();
        await h.CreateSetAsync("workers", replicas: 3);
        await h.SettleAsync();
        var machines = await h.MachinesAsync();
        var (keep, coming, marked) = (machines[0], machines[1], machines[2]);
        await h.SetPhaseAsync(keep, Phases.Running);
        await h.SetPhaseAsync(coming, Phases.Provisioning);
        await h.SetPhaseAsync(marked, Phases.Running);
        await h.ChangeAsync<Machine>(marked.Name, m => (m.Metadata.Annotations ??= new())[MachineDeletionOrder.DeleteMachineAnnotation] = "yes");

        await h.ChangeAsync<MachineSet>("workers", s => s.Spec.Replicas = 1);
        await h.SettleAsync();

        var left = Assert.Single(await h.MachinesAsync());
        Assert.Equal(keep.Name, left.Name);
        Assert.Equal(1, (await h.GetAsync<MachineSet>("workers"))!.Status!.Replicas);
    }

    [Fact]
    public async Task ScaleDownByOldestPolicyKeepsTheNewestRunningMachines()
    {
        using var h = new ReplicaHarness();
        await h.CreateSetAsync("workers", replicas: 1, deletePolicy: MachineDeletionOrder.Oldest);
        await h.SettleAsync();
        var oldest = Assert.Single(await h.MachinesAsync());
        await h.ChangeAsync<MachineSet>("workers", s => s.Spec.Replicas = 3);
        await h.SettleAsync();
        await h.ProvisionAllAsync();

        await h.ChangeAsync<MachineSet>("workers", s => s.Spec.Replicas = 2);
        await h.SettleAsync();

        var left = await h.MachinesAsync();
        Assert.Equal(2, left.Count);
        Assert.DoesNotContain(left, m => m.Name == oldest.Name);
    }

    [Fact]
    public async Task ReplacesAFailedMachine()
    {
        using var h = new ReplicaHarness();
        await h.CreateSetAsync("workers", replicas: 2);
        await h.SettleAsync();
        await h.ProvisionAllAsync();
        var failed = (await h.MachinesAsync())[0];
        await h.SetPhaseAsync(failed, Phases.Failed, errorReason: "CreateError");

        await h.SettleAsync();

        var machines = await h.MachinesAsync();
        Assert.Equal(2, machines.Count);
        Assert.DoesNotContain(machines, m => m.Name == failed.Name);
        Assert.Equal(2, (await h.GetAsync<MachineSet>("workers"))!.Status!.Replicas);
    }

    [Fact]
    public async Task ReplacesAMachineDeletedBehindItsBack()
    {
        using var h = new ReplicaHarness();
        await h.CreateSetAsync("workers", replicas: 2);
        await h.SettleAsync();
        var lost = (await h.MachinesAsync())[1];
        await h.Store.DeleteAsync<Machine>(ReplicaHarness.Ns, lost.Name, CancellationToken.None);

        await h.SettleAsync();

        var machines = await h.MachinesAsync();
        Assert.Equal(2, machines.Count);
        Assert.DoesNotContain(machines, m => m.Name == lost.Name);
    }

    [Fact]
    public async Task AdoptsOrphansWithMatchingLabelsAndLeavesOthersAlone()
    {
        using var h = new ReplicaHarness();
        var template = ReplicaHarness.Template("workers");
        // A set only looks at its own cluster's Machines: "elsewhere" matches the selector but is another cluster's.
        foreach (var (name, pool, cluster) in new[]
                 {
                     ("orphan-a", "workers", ReplicaHarness.ClusterName), ("orphan-b", "workers", ReplicaHarness.ClusterName),
                     ("stranger", "gpu", ReplicaHarness.ClusterName), ("elsewhere", "workers", "other"),
                 })
            await h.Store.CreateAsync(new Machine
            {
                Metadata = new ObjectMeta
                {
                    Name = name, Namespace = ReplicaHarness.Ns, Labels = new() { ["pool"] = pool, [ClusterValidation.ClusterNameLabel] = cluster },
                },
                Spec = template.Spec!,
            }, CancellationToken.None);
        var set = await h.CreateSetAsync("workers", replicas: 3);

        await h.SettleAsync();

        var machines = await h.MachinesAsync();
        Assert.Equal(5, machines.Count); // two adopted + one created + the stranger + the other cluster's
        var owned = machines.Where(m => ReplicaOwnership.IsControlledBy(m, set)).Select(m => m.Name).ToList();
        Assert.Equal(3, owned.Count);
        Assert.Contains("orphan-a", owned);
        Assert.Contains("orphan-b", owned);
        Assert.Null(machines.Single(m => m.Name == "stranger").Metadata.OwnerReferences);
        Assert.Null(machines.Single(m => m.Name == "elsewhere").Metadata.OwnerReferences);
    }

    [Fact]
    public async Task DeletingTheSetDeletesItsMachinesThenTheSet()
    {
        using var h = new ReplicaHarness();
        await h.CreateSetAsync("workers", replicas: 2);
        await h.SettleAsync();
        Assert.Contains(MachineSetReconciler.Finalizer, (await h.GetAsync<MachineSet>("workers"))!.Metadata.Finalizers!);

        await h.Store.DeleteAsync<MachineSet>(ReplicaHarness.Ns, "workers", CancellationToken.None);
        Assert.NotNull((await h.GetAsync<MachineSet>("workers"))!.Metadata.DeletionTimestamp); // held by the finalizer
        await h.SettleAsync();

        Assert.Empty(await h.MachinesAsync());
        Assert.Empty(await h.MachineSetsAsync());
    }

    [Fact]
    public async Task ATemplateThatItsSelectorDoesNotMatchCreatesNothing()
    {
        using var h = new ReplicaHarness();
        await h.CreateSetAsync("workers", replicas: 2);
        await h.ChangeAsync<MachineSet>("workers", s => s.Spec.Selector!.MatchLabels!["pool"] = "other");

        await h.SettleAsync();

        Assert.Empty(await h.MachinesAsync());
        Assert.Equal("InvalidConfiguration", (await h.GetAsync<MachineSet>("workers"))!.Status!.ErrorReason);
    }
}
