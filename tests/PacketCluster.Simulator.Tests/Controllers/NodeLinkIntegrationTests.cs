using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Workload;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Simulator.Tests.Controllers;

/// <summary>
/// A Machine is Running only when the workload cluster has a Ready Node with its providerID (the Node list itself is
/// read from a real API server in the engine's WorkloadNodesIntegrationTests; here it is scripted per round).
/// </summary>
public sealed class NodeLinkIntegrationTests
{
    [Fact]
    public async Task Machines_go_Provisioned_then_Running_when_their_Node_is_Ready_and_back_when_it_is_not()
    {
        var nodes = new ScriptedNodes();
        await using var bed = await ControllerTestBed.StartAsync(nodes);
        await bed.CreateClusterAsync(workers: 1);

        // The API server is not up (still booting): devices active, machines Provisioned, waiting for the API server.
        await bed.SettleAsync(() => bed.AllMachinesAsync(Phases.Provisioned));
        var machines = await bed.Store.ListAsync<Machine>(ControllerTestBed.Ns, null, default);
        Assert.All(machines, m => Assert.Equal("WaitingForApiServer", m.Status!.Conditions!.Single(c => c.Type == Conditions.NodeReady).Reason));

        // The first control plane's device has been active longer than kubeadm init takes, and still no API server: its
        // Machine says so, with where to read why, long before the create's timeout. The worker only waits.
        var cp = machines.Single(m => m.IsControlPlane);
        var overdue = (await bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, cp.Name, default))!;
        overdue.Status!.Conditions!.Single(c => c.Type == Conditions.DeviceReady).LastTransitionTime =
            bed.Context.Time.GetUtcNow() - MachineReconciler.ApiServerPatience - TimeSpan.FromSeconds(1);
        await bed.Store.UpdateStatusAsync(overdue, default);
        await new MachineReconciler(bed.Context).ReconcileAsync(ControllerTestBed.Ns, cp.Name, default);
        var said = (await bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, cp.Name, default))!.Status!.Conditions!.Single(c => c.Type == Conditions.NodeReady);
        Assert.Equal("ApiServerNotAnswering", said.Reason);
        Assert.Contains($"/_simulator/devices/{cp.Spec.ProviderID!["packet://".Length..]}/console", said.Message);
        Assert.Equal("WaitingForApiServer", (await bed.Store.ListAsync<Machine>(ControllerTestBed.Ns, null, default))
            .Single(m => !m.IsControlPlane).Status!.Conditions!.Single(c => c.Type == Conditions.NodeReady).Reason);

        // Only the control plane registered so far.
        nodes.Answer = () => [new WorkloadNode("demo-cp-0", "uid-cp", cp.Spec.ProviderID, Ready: true), new WorkloadNode("stranger", "uid-x", "packet://elsewhere", true)];
        await bed.SettleAsync(async () => (await bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, cp.Name, default))!.Status!.Phase == Phases.Running);
        var worker = (await bed.Store.ListAsync<Machine>(ControllerTestBed.Ns, null, default)).Single(m => !m.IsControlPlane);
        Assert.Equal(Phases.Provisioned, worker.Status!.Phase);
        Assert.Equal("NodeNotRegistered", worker.Status.Conditions!.Single(c => c.Type == Conditions.NodeReady).Reason);
        var linked = (await bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, cp.Name, default))!.Status!.NodeRef!;
        Assert.Equal(("Node", "demo-cp-0", "uid-cp"), (linked.Kind, linked.Name, linked.Uid));

        // The worker joins, but NotReady first: linked yet not Running.
        nodes.Answer = () => [new WorkloadNode("demo-cp-0", "uid-cp", cp.Spec.ProviderID, true), new WorkloadNode("demo-worker-0", "uid-w", worker.Spec.ProviderID, false)];
        await bed.SettleAsync(async () => (await bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, worker.Name, default))!.Status!.NodeRef is not null);
        Assert.Equal(Phases.Provisioned, (await bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, worker.Name, default))!.Status!.Phase);

        nodes.Answer = () => [new WorkloadNode("demo-cp-0", "uid-cp", cp.Spec.ProviderID, true), new WorkloadNode("demo-worker-0", "uid-w", worker.Spec.ProviderID, true)];
        await bed.SettleAsync(() => bed.AllMachinesAsync(Phases.Running));

        // One Node list per cluster per round, not one per machine.
        var rounds = nodes.Calls;
        await bed.ReconcileAllAsync();
        Assert.Equal(rounds, nodes.Calls);

        // Deleting the worker deletes its device, then its Node.
        await bed.Store.DeleteAsync<Machine>(ControllerTestBed.Ns, worker.Name, default);
        await bed.SettleAsync(async () => await bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, worker.Name, default) is null);
        Assert.Equal(["demo-worker-0"], nodes.Deleted);
    }

    [Fact]
    public async Task A_Node_running_another_kubelet_version_than_its_Machine_asks_for_is_a_condition_not_a_silent_claim()
    {
        var nodes = new ScriptedNodes();
        await using var bed = await ControllerTestBed.StartAsync(nodes);
        await bed.CreateClusterAsync(workers: 0);
        await bed.SettleAsync(() => bed.AllMachinesAsync(Phases.Provisioned));
        var cp = (await bed.Store.ListAsync<Machine>(ControllerTestBed.Ns, null, default)).Single();
        var wanted = cp.Spec.Versions!.Kubelet!;
        async Task<Condition?> VersionConditionAsync() =>
            (await bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, cp.Name, default))!.Status!.Conditions!.SingleOrDefault(c => c.Type == Conditions.KubeletVersionMatches);

        // The simulator's kubelets report 1.20.2 whatever the machine asked for: said, not hidden.
        nodes.Answer = () => [new WorkloadNode("demo-cp-0", "uid-cp", cp.Spec.ProviderID, Ready: true, KubeletVersion: "v1.20.2")];
        await bed.SettleAsync(async () => (await VersionConditionAsync())?.Status == "False");
        var mismatch = (await VersionConditionAsync())!;
        Assert.Equal("VersionMismatch", mismatch.Reason);
        Assert.Contains($"runs kubelet 1.20.2, not the {wanted}", mismatch.Message);

        // The Node upgraded to what is asked (a build suffix does not count): the condition turns True.
        nodes.Answer = () => [new WorkloadNode("demo-cp-0", "uid-cp", cp.Spec.ProviderID, Ready: true, KubeletVersion: $"v{wanted}+debian")];
        await bed.SettleAsync(async () => (await VersionConditionAsync())?.Status == "True");
    }

    [Fact]
    public async Task A_worker_whose_userdata_cannot_join_says_why_on_its_Machine()
    {
        var nodes = new ScriptedNodes();
        await using var bed = await ControllerTestBed.StartAsync(nodes);
        await bed.CreateClusterAsync(workers: 1);
        await bed.SettleAsync(() => bed.AllMachinesAsync(Phases.Provisioned));
        var machines = await bed.Store.ListAsync<Machine>(ControllerTestBed.Ns, null, default);
        var cp = machines.Single(m => m.IsControlPlane);
        var worker = machines.Single(m => !m.IsControlPlane);
        nodes.Answer = () => [new WorkloadNode("demo-cp-0", "uid-cp", cp.Spec.ProviderID, Ready: true)];
        async Task<Condition> NodeReadyAsync() =>
            (await bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, worker.Name, default))!.Status!.Conditions!.Single(c => c.Type == Conditions.NodeReady);
        await bed.SettleAsync(async () => (await NodeReadyAsync()).Reason == "NodeNotRegistered");

        // The userdata the device boots with pins another CA (as if something rewrote it before boot).
        var deviceId = worker.Spec.ProviderID!["packet://".Length..];
        var userdata = await bed.Client.GetDeviceUserdataAsync(deviceId);
        var pin = JoinDiscovery.FromUserdata(userdata)!.CaCertHashes.Single();
        var wrongPin = "sha256:" + new string('0', 64);
        await bed.Client.UpdateDeviceAsync(deviceId, new DeviceUpdateRequest { Userdata = userdata.Replace(pin, wrongPin, StringComparison.Ordinal) });
        // A fresh context reads the userdata again, as a restarted manager would.
        using var restarted = ClusterReconcileContext.Create(bed.Store, bed.Client, bed.Context.ProjectId, time: bed.Context.Time, nodes: bed.Context.Nodes);
        await new MachineReconciler(restarted).ReconcileAsync(ControllerTestBed.Ns, worker.Name, default);
        var condition = await NodeReadyAsync();
        Assert.Equal("CaPinMismatch", condition.Reason);
        Assert.Contains(wrongPin, condition.Message);
        Assert.Contains(pin, condition.Message);
        Assert.DoesNotContain(JoinDiscovery.FromUserdata(userdata)!.TokenId + ".", condition.Message); // never the token secret

        // Right pin again, but its bootstrap token is gone from the cluster and the machine has waited past the grace.
        await bed.Client.UpdateDeviceAsync(deviceId, new DeviceUpdateRequest { Userdata = userdata });
        nodes.MissingTokens.Add(JoinDiscovery.FromUserdata(userdata)!.TokenId!);
        var stored = (await bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, worker.Name, default))!;
        stored.Status!.Conditions!.Single(c => c.Type == Conditions.NodeReady).LastTransitionTime = bed.Context.Time.GetUtcNow() - JoinDiagnostics.TokenGrace - TimeSpan.FromSeconds(1);
        await bed.Store.UpdateStatusAsync(stored, default);
        using var restartedAgain = ClusterReconcileContext.Create(bed.Store, bed.Client, bed.Context.ProjectId, time: bed.Context.Time, nodes: bed.Context.Nodes);
        await new MachineReconciler(restartedAgain).ReconcileAsync(ControllerTestBed.Ns, worker.Name, default);
        Assert.Equal("BootstrapTokenNotFound", (await NodeReadyAsync()).Reason);

        // Once it joins, the diagnosis is gone with the wait.
        nodes.Answer = () => [new WorkloadNode("demo-cp-0", "uid-cp", cp.Spec.ProviderID, true), new WorkloadNode("demo-worker-0", "uid-w", worker.Spec.ProviderID, true)];
        await bed.SettleAsync(() => bed.AllMachinesAsync(Phases.Running));
    }
}
