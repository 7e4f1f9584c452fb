using PacketCluster.Engine.ControlPlane;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Metal;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Simulator.Tests.Controllers;

/// <summary>
/// The elastic-IP failover decisions against the simulated Packet API, with the API servers' health scripted: the
/// address stays on a healthy holder, moves only after the threshold when the holder stops answering, moves at once when
/// the holder's device is gone, and never moves to a control plane that does not answer.
/// </summary>
public sealed class EndpointFailoverIntegrationTests
{
    [Fact]
    public async Task ElasticIp_FollowsTheHealthyControlPlanes()
    {
        await using var bed = await ControllerTestBed.StartAsync();
        var probe = new ScriptedProbe();
        bed.Context.ApiServers = probe;
        await bed.CreateClusterAsync(workers: 0);
        await bed.Store.CreateAsync(bed.NewMachine($"{ControllerTestBed.ClusterName}-cp-1", controlPlane: true), CancellationToken.None);
        await bed.Store.CreateAsync(bed.NewMachine($"{ControllerTestBed.ClusterName}-cp-2", controlPlane: true), CancellationToken.None);
        await bed.SettleAsync(async () => (await bed.ClusterDevicesAsync()).Count(d => d.State == "active") == 3);
        await bed.ReconcileAllAsync();

        var eip = (await bed.Store.GetAsync<Cluster>(ControllerTestBed.Ns, ControllerTestBed.ClusterName, CancellationToken.None))!.Status!.ApiEndpoints![0].Host!;
        var devices = (await bed.ClusterDevicesAsync()).ToDictionary(d => d.Hostname!);
        string Ip(string host) => devices[host].ManagementAddress(4, isPublic: true)!;
        var cp0 = $"{ControllerTestBed.ClusterName}-cp-0";
        var cp1 = $"{ControllerTestBed.ClusterName}-cp-1";
        var cp2 = $"{ControllerTestBed.ClusterName}-cp-2";
        Assert.Equal(cp0, await HolderAsync(bed, eip)); // the first control plane took it at bootstrap

        // All answer: it stays, and the book knows where else the API server answers.
        probe.Healthy = [Ip(cp0), Ip(cp1), Ip(cp2), eip];
        await bed.ReconcileAllAsync();
        Assert.Equal(cp0, await HolderAsync(bed, eip));
        Assert.Equal("True", (await ConditionAsync(bed, Conditions.EndpointHealthy))?.Status);
        Assert.Equal(new[] { Ip(cp0), Ip(cp1), Ip(cp2) }.Order(), ControlPlaneAddressBook.Alternates(eip, 6443).Order());

        // A process that cannot read the Machines (a manager starting while the holder is dead) finds the same control
        // planes through the Packet API alone: the reservation's cluster uid, then the devices with the control-plane role.
        ControlPlaneAddressBook.Record(eip, 6443, ["127.0.0.9"]); // forget what the reconciler recorded
        Assert.Equal(3, await ControlPlaneDiscovery.SeedAsync(bed.Client, bed.Simulator.ProjectId, new Uri($"https://{eip}:6443"), CancellationToken.None));
        Assert.Equal(new[] { Ip(cp0), Ip(cp1), Ip(cp2) }.Order(), ControlPlaneAddressBook.Alternates(eip, 6443).Order());
        Assert.Equal(0, await ControlPlaneDiscovery.SeedAsync(bed.Client, bed.Simulator.ProjectId, new Uri("https://127.60.99.99:6443"), CancellationToken.None));

        // The holder stops answering: nothing moves before the threshold, then it goes to the oldest healthy one.
        probe.Healthy = [Ip(cp1), Ip(cp2)];
        await bed.ReconcileAllAsync();
        Assert.Equal(cp0, await HolderAsync(bed, eip));
        Assert.Equal("HolderNotAnswering", (await ConditionAsync(bed, Conditions.EndpointHealthy))?.Reason);
        bed.Simulator.Clock.Advance(EndpointFailover.FailoverAfter + TimeSpan.FromSeconds(1));
        await bed.ReconcileAllAsync();
        Assert.Equal(cp1, await HolderAsync(bed, eip));
        var moved = await ConditionAsync(bed, Conditions.EndpointFailover);
        Assert.Equal("Moved", moved?.Reason);
        Assert.Contains($"from {cp0} to {cp1}", moved?.Message);

        // The first control plane answers again: its Machine does not take the address back.
        probe.Healthy = [Ip(cp0), Ip(cp1), Ip(cp2), eip];
        for (var i = 0; i < 3; i++) await bed.ReconcileAllAsync();
        Assert.Equal(cp1, await HolderAsync(bed, eip));

        // Nobody else answers: it stays where it is, and the condition says so.
        probe.Healthy = [];
        await bed.ReconcileAllAsync();
        bed.Simulator.Clock.Advance(EndpointFailover.FailoverAfter + TimeSpan.FromSeconds(1));
        await bed.ReconcileAllAsync();
        Assert.Equal(cp1, await HolderAsync(bed, eip));
        Assert.Equal("NoHealthyControlPlane", (await ConditionAsync(bed, Conditions.EndpointHealthy))?.Reason);

        // The holder's device is deleted behind our back: the address goes to a healthy control plane at once.
        probe.Healthy = [Ip(cp0), Ip(cp2)];
        await bed.Client.DeleteDeviceAsync(devices[cp1].Id!);
        bed.Simulator.Clock.Advance(ControllerTestBed.Round);
        bed.Context.Inventory.Invalidate(ClusterIdentity.Of((await bed.Store.GetAsync<Cluster>(ControllerTestBed.Ns, ControllerTestBed.ClusterName, CancellationToken.None))!));
        await bed.Clusters.ReconcileAsync(ControllerTestBed.Ns, ControllerTestBed.ClusterName, CancellationToken.None);
        Assert.Equal(cp0, await HolderAsync(bed, eip));
    }

    [Fact]
    public async Task AHolderThatIsBeingRemoved_HandsTheAddressOver_BeforeItsDeviceGoes()
    {
        await using var bed = await ControllerTestBed.StartAsync();
        var probe = new ScriptedProbe();
        bed.Context.ApiServers = probe;
        await bed.CreateClusterAsync(workers: 0);
        await bed.Store.CreateAsync(bed.NewMachine($"{ControllerTestBed.ClusterName}-cp-1", controlPlane: true), CancellationToken.None);
        await bed.SettleAsync(async () => (await bed.ClusterDevicesAsync()).Count(d => d.State == "active") == 2);
        await bed.ReconcileAllAsync();
        var eip = (await bed.Store.GetAsync<Cluster>(ControllerTestBed.Ns, ControllerTestBed.ClusterName, CancellationToken.None))!.Status!.ApiEndpoints![0].Host!;
        var devices = (await bed.ClusterDevicesAsync()).ToDictionary(d => d.Hostname!);
        var cp0 = $"{ControllerTestBed.ClusterName}-cp-0";
        var cp1 = $"{ControllerTestBed.ClusterName}-cp-1";
        probe.Healthy = [devices[cp0].ManagementAddress(4, isPublic: true)!, devices[cp1].ManagementAddress(4, isPublic: true)!, eip];
        Assert.Equal(cp0, await HolderAsync(bed, eip));

        // Two control planes, the holder removed: its Machine waits with its device in place until the address has moved.
        await bed.Store.DeleteAsync<Machine>(ControllerTestBed.Ns, cp0, CancellationToken.None);
        await bed.Machines.ReconcileAsync(ControllerTestBed.Ns, cp0, CancellationToken.None);
        Assert.Contains((await bed.ClusterDevicesAsync()), d => d.Hostname == cp0 && d.State == "active");
        Assert.Equal("HandingOver", (await bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, cp0, CancellationToken.None))!.Status!.Conditions!.First(c => c.Type == Conditions.EndpointAssigned).Reason);

        await bed.Clusters.ReconcileAsync(ControllerTestBed.Ns, ControllerTestBed.ClusterName, CancellationToken.None);
        Assert.Equal(cp1, await HolderAsync(bed, eip));
        Assert.Contains($"its holder {cp0} is being removed", (await ConditionAsync(bed, Conditions.EndpointFailover))?.Message);
        await bed.SettleAsync(async () => (await bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, cp0, CancellationToken.None)) is null);
        Assert.DoesNotContain(await bed.ClusterDevicesAsync(), d => d.Hostname == cp0 && d.State == "active");
        Assert.Equal(cp1, await HolderAsync(bed, eip));
    }

    private static async Task<string?> HolderAsync(ControllerTestBed bed, string eip) =>
        (await bed.ClusterDevicesAsync()).FirstOrDefault(d => d.IpAddresses.Any(ip => ip.Address == eip))?.Hostname;

    private static async Task<Condition?> ConditionAsync(ControllerTestBed bed, string type) =>
        (await bed.Store.GetAsync<Cluster>(ControllerTestBed.Ns, ControllerTestBed.ClusterName, CancellationToken.None))!.Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    private sealed class ScriptedProbe : IApiServerProbe
    {
        public HashSet<string> Healthy { get; set; } = [];

        public Task<bool> IsReadyAsync(string host, int port, string caPem, CancellationToken cancellationToken) => Task.FromResult(Healthy.Contains(host));
    }
}
