using PacketCluster.Engine.Api;
using PacketCluster.Engine.Controllers;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Simulator.Tests.Controllers;

/// <summary>
/// The replica reconcilers together with the Cluster and Machine reconcilers against the simulator: a MachineDeployment's
/// workers become devices, a failed device is replaced through its MachineSet, a version change rolls within the
/// defaults (surge 1, unavailable 0), and deleting the Cluster leaves no object and no device behind.
/// </summary>
public sealed class MachineDeploymentIntegrationTests : IAsyncLifetime
{
    private const string Deployment = "demo-workers";
    private static readonly CancellationToken None = CancellationToken.None;
    private ControllerTestBed _bed = null!;
    private MachineSetReconciler _sets = null!;
    private MachineDeploymentReconciler _deployments = null!;

    public async Task InitializeAsync()
    {
        _bed = await ControllerTestBed.StartAsync();
        _sets = new MachineSetReconciler(_bed.Store, time: _bed.Simulator.Clock, random: new Random(99));
        _deployments = new MachineDeploymentReconciler(_bed.Store, time: _bed.Simulator.Clock);
    }

    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Workers_provision_failed_ones_are_replaced_a_version_change_rolls_and_cluster_delete_removes_everything()
    {
        await _bed.CreateClusterAsync(workers: 0);
        var template = _bed.NewMachine("template", controlPlane: false);
        await _bed.Store.CreateAsync(new MachineDeployment
        {
            Metadata = new ObjectMeta
            {
                Name = Deployment, Namespace = ControllerTestBed.Ns,
                Labels = new() { [ClusterValidation.ClusterNameLabel] = ControllerTestBed.ClusterName },
            },
            Spec = new MachineDeploymentSpec
            {
                Replicas = 2,
                Selector = new LabelSelector { MatchLabels = new() { ["pool"] = "workers" } },
                Template = new MachineTemplateSpec
                {
                    Metadata = new ObjectMeta { Labels = new() { ["pool"] = "workers", [ClusterValidation.ClusterNameLabel] = ControllerTestBed.ClusterName } },
                    Spec = template.Spec,
                },
            },
        }, None);

        await SettleAsync(async () => (await WorkersAsync()) is { Count: 2 } w && w.All(m => m.Status?.Phase == Phases.Provisioned));
        Assert.Equal(3, (await _bed.ClusterDevicesAsync()).Count);

        // A device fails: its Machine goes Failed, the set deletes it (device released) and makes another.
        var victim = (await WorkersAsync())[0];
        await _bed.FailDeviceAsync(victim.Status!.ProviderStatus!.DeviceID!);
        await SettleAsync(async () => (await WorkersAsync()) is { Count: 2 } w
            && w.All(m => m.Status?.Phase == Phases.Provisioned && m.Name != victim.Name)
            && await _bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, victim.Name, None) is null);
        Assert.DoesNotContain(await _bed.ClusterDevicesAsync(), d => d.Id == victim.Status.ProviderStatus.DeviceID);

        // A version change rolls: never more than 3 workers, never fewer than 2 provisioned.
        var before = (await WorkersAsync()).Select(m => m.Name).ToHashSet();
        var deployment = (await _bed.Store.GetAsync<MachineDeployment>(ControllerTestBed.Ns, Deployment, None))!;
        deployment.Spec.Template!.Spec!.Versions!.Kubelet = "1.35.0";
        await _bed.Store.UpdateAsync(deployment, None);
        await SettleAsync(async () =>
        {
            var workers = await WorkersAsync();
            Assert.True(workers.Count(m => m.Metadata.DeletionTimestamp is null) <= 3, "surge exceeded");
            Assert.True(workers.Count(MachineReadiness.IsReady) >= 2, "availability dropped");
            return workers.Count == 2 && workers.All(m => m.Spec.Versions?.Kubelet == "1.35.0" && m.Status?.Phase == Phases.Provisioned);
        }, maxRounds: 60);
        Assert.DoesNotContain(await WorkersAsync(), m => before.Contains(m.Name));
        Assert.Equal(3, (await _bed.ClusterDevicesAsync()).Count);

        await _bed.Store.DeleteAsync<Cluster>(ControllerTestBed.Ns, ControllerTestBed.ClusterName, None);
        // The Cluster waits only for its Machines; the deployment and its sets (already marked) finish their own deletes.
        await SettleAsync(async () => await _bed.Store.GetAsync<Cluster>(ControllerTestBed.Ns, ControllerTestBed.ClusterName, None) is null
            && (await _bed.Store.ListAsync<MachineDeployment>(ControllerTestBed.Ns, null, None)).Count == 0
            && (await _bed.Store.ListAsync<MachineSet>(ControllerTestBed.Ns, null, None)).Count == 0, maxRounds: 40);
        Assert.Empty(await _bed.Store.ListAsync<MachineDeployment>(ControllerTestBed.Ns, null, None));
        Assert.Empty(await _bed.Store.ListAsync<MachineSet>(ControllerTestBed.Ns, null, None));
        Assert.Empty(await _bed.Store.ListAsync<Machine>(ControllerTestBed.Ns, null, None));
        Assert.Empty(await _bed.ClusterDevicesAsync());
    }

    private async Task<List<Machine>> WorkersAsync() =>
        (await _bed.Store.ListAsync<Machine>(ControllerTestBed.Ns, new Dictionary<string, string> { ["pool"] = "workers" }, None)).ToList();

    /// <summary>Deployments, sets, then the bed's Cluster and Machines, one polling interval apart, until <paramref name="settled"/>.</summary>
    private async Task SettleAsync(Func<Task<bool>> settled, int maxRounds = 30)
    {
        for (var round = 1; round <= maxRounds; round++)
        {
            foreach (var d in await _bed.Store.ListAsync<MachineDeployment>(ControllerTestBed.Ns, null, None))
                await _deployments.ReconcileAsync(ControllerTestBed.Ns, d.Name, None);
            foreach (var s in await _bed.Store.ListAsync<MachineSet>(ControllerTestBed.Ns, null, None))
                await _sets.ReconcileAsync(ControllerTestBed.Ns, s.Name, None);
            await _bed.ReconcileAllAsync();
            if (await settled()) return;
            _bed.Simulator.Clock.Advance(ControllerTestBed.Round);
        }
        Assert.Fail($"Not settled after {maxRounds} rounds: {await _bed.DescribeAsync()}");
    }
}
