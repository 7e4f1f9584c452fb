using System.Diagnostics;
using System.Net;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Pki;
using PacketCluster.Models.ClusterApi;
using Xunit;
using Xunit.Abstractions;

namespace PacketCluster.Simulator.Tests.Controllers;

/// <summary>Cluster and Machine reconcilers against the simulator: create, crash safety, lost and failed devices, delete.</summary>
public sealed class ClusterLifecycleIntegrationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ControllerTestBed _bed = null!;
    private static readonly CancellationToken None = CancellationToken.None;

    public async Task InitializeAsync() => _bed = await ControllerTestBed.StartAsync();
    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task A_cluster_with_one_control_plane_and_two_workers_provisions_and_deletes_completely()
    {
        var watch = Stopwatch.StartNew();
        await _bed.ClearRequestCountsAsync();
        await _bed.CreateClusterAsync(workers: 2, storedPki: false);

        var rounds = await _bed.SettleAsync(async () => await _bed.AllMachinesAsync(Phases.Provisioned)
            && (await _bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, "demo-cp-0", None))!.Status!.Conditions!.Any(c => c.Type == Conditions.EndpointAssigned && c.Status == "True"));
        var createCounts = await _bed.RequestCountsAsync();
        output.WriteLine($"provisioned after {rounds} rounds, {watch.ElapsedMilliseconds} ms; API requests: {createCounts.Total} " +
            string.Join(", ", createCounts.ByRoute.Select(kv => $"{kv.Key}={kv.Value}")));

        // Batched polling: one device list per cluster per round, not one GET per device.
        Assert.True(createCounts.ByRoute["GET /projects/{id}/devices"] <= rounds, $"{createCounts.ByRoute["GET /projects/{id}/devices"]} lists in {rounds} rounds");
        Assert.DoesNotContain(createCounts.ByRoute.Keys, k => k == "GET /devices/{id}");

        // Cluster: PKI Secrets owned by the Cluster, endpoint an elastic IP from the simulator's elastic pool.
        var cluster = (await _bed.Store.GetAsync<Cluster>(ControllerTestBed.Ns, ControllerTestBed.ClusterName, None))!;
        Assert.Equal(Phases.Provisioned, cluster.Status!.Phase);
        foreach (var name in ClusterSecrets.PkiSecretNames(ControllerTestBed.ClusterName))
        {
            var secret = await _bed.Store.GetSecretAsync(ControllerTestBed.Ns, name, None);
            Assert.NotNull(secret);
            Assert.Equal(cluster.Metadata.Uid, Assert.Single(secret!.Metadata.OwnerReferences).Uid);
            Assert.NotEmpty(ClusterSecrets.Value(secret, ClusterSecrets.PrivateKeyKey));
        }
        var endpoint = Assert.Single(cluster.Status.ApiEndpoints!);
        Assert.Equal(6443, endpoint.Port);
        Assert.True(_bed.Simulator.IsElastic(endpoint.Host!), endpoint.Host);
        var reservation = Assert.Single(await _bed.ClusterReservationsAsync());
        Assert.Equal(endpoint.Host, reservation.Address);

        // Machines: exactly three devices with the cluster tag, each recorded.
        var devices = await _bed.ClusterDevicesAsync();
        Assert.Equal(3, devices.Count);
        var machines = await _bed.Store.ListAsync<Machine>(ControllerTestBed.Ns, null, None);
        foreach (var machine in machines)
        {
            var device = Assert.Single(devices, d => d.Hostname == machine.Name);
            Assert.Equal("packet://" + device.Id, machine.Spec.ProviderID);
            Assert.Equal(device.Id, machine.Status!.ProviderStatus!.DeviceID);
            Assert.Equal("active", machine.Status.ProviderStatus.State);
            Assert.Equal("sv", machine.Status.ProviderStatus.Metro);
            Assert.Contains(machine.Status.Addresses!, a => a.Type == "ExternalIP");
            Assert.Contains(machine.Status.Addresses!, a => a.Type == "InternalIP");
            Assert.Superset(DeviceTagsFor(machine).ToHashSet(), device.Tags.ToHashSet());
            Assert.Contains("env:test", device.Tags);
        }

        // The first control plane holds the elastic IP.
        var controlPlaneDevice = devices.Single(d => d.Hostname == "demo-cp-0");
        Assert.Contains(controlPlaneDevice.IpAddresses, ip => ip.Address == endpoint.Host);

        // Userdata: the control plane's InitConfiguration lists every worker's token; each worker has its own token and the CA pin.
        var ca = ClusterSecrets.Value((await _bed.Store.GetSecretAsync(ControllerTestBed.Ns, ClusterSecrets.ClusterCa(ControllerTestBed.ClusterName), None))!, ClusterSecrets.CertificateKey);
        var pin = SpkiPin.Compute(ca);
        var controlPlaneUserdata = await _bed.Client.GetDeviceUserdataAsync(controlPlaneDevice.Id!);
        Assert.Contains(endpoint.Host!, controlPlaneUserdata);
        var tokens = new List<string>();
        foreach (var worker in machines.Where(m => !m.IsControlPlane))
        {
            var token = ClusterSecrets.Value((await _bed.Store.GetSecretAsync(ControllerTestBed.Ns, ClusterSecrets.BootstrapToken(worker.Name), None))!, ClusterSecrets.TokenKey);
            tokens.Add(token);
            var (id, secret) = (token.Split('.')[0], token.Split('.')[1]);
            Assert.Contains(id, controlPlaneUserdata);
            Assert.Contains(secret, controlPlaneUserdata);
            var workerUserdata = await _bed.Client.GetDeviceUserdataAsync(worker.Status!.ProviderStatus!.DeviceID!);
            Assert.Contains(token, workerUserdata);
            Assert.Contains(pin, workerUserdata);
            Assert.Contains(endpoint.Host!, workerUserdata);
            Assert.DoesNotContain("unsafeSkipCAVerification: true", workerUserdata);
        }
        Assert.Equal(2, tokens.Distinct().Count());

        // Delete: everything tagged with the cluster goes.
        await _bed.ClearRequestCountsAsync();
        await _bed.Store.DeleteAsync<Cluster>(ControllerTestBed.Ns, ControllerTestBed.ClusterName, None);
        var deleteRounds = await _bed.SettleAsync(async () => await _bed.Store.GetAsync<Cluster>(ControllerTestBed.Ns, ControllerTestBed.ClusterName, None) is null);
        var deleteCounts = await _bed.RequestCountsAsync();
        output.WriteLine($"deleted after {deleteRounds} rounds; API requests: {deleteCounts.Total} " +
            string.Join(", ", deleteCounts.ByRoute.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.Empty(await _bed.Store.ListAsync<Machine>(ControllerTestBed.Ns, null, None));
        Assert.Empty(await _bed.ClusterDevicesAsync());
        Assert.Empty(await _bed.ClusterReservationsAsync());
        Assert.Empty(await _bed.Store.ListSecretsAsync(ControllerTestBed.Ns, None));

        var perMachine = (createCounts.Total + deleteCounts.Total) / 3.0;
        output.WriteLine($"create+delete: {createCounts.Total + deleteCounts.Total} requests, {perMachine:0.0} per machine; {watch.ElapsedMilliseconds} ms");
        // PRODUCT.md §10: ≤ 6 per machine over create → delete (its create and delete, its share of the batched lists and of the cluster's IP calls).
        Assert.True(perMachine <= 6, $"{perMachine:0.0} API requests per machine");
    }

    [Fact]
    public async Task A_status_write_lost_after_the_create_does_not_make_a_second_device()
    {
        await _bed.CreateClusterAsync(workers: 0);
        await _bed.SettleAsync(async () => (await _bed.Store.GetAsync<Cluster>(ControllerTestBed.Ns, ControllerTestBed.ClusterName, None))!.Status?.ApiEndpoints is { Count: > 0 });
        const string name = "demo-cp-0";
        await _bed.Machines.ReconcileAsync(ControllerTestBed.Ns, name, None);
        var machine = (await _bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, name, None))!;
        Assert.NotNull(machine.Spec.ProviderID);

        // As if the process died right after POST /devices: neither the providerID nor the status reached the store.
        machine.Spec.ProviderID = null;
        machine = await _bed.Store.UpdateAsync(machine, None);
        machine.Status!.ProviderStatus = null;
        machine = await _bed.Store.UpdateStatusAsync(machine, None);
        var restarted = new MachineReconciler(ClusterReconcileContext.Create(_bed.Store, _bed.Client, _bed.Simulator.ProjectId, time: _bed.Simulator.Clock));
        await restarted.ReconcileAsync(ControllerTestBed.Ns, name, None);
        await restarted.ReconcileAsync(ControllerTestBed.Ns, name, None);

        var device = Assert.Single(await _bed.ClusterDevicesAsync());
        machine = (await _bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, name, None))!;
        Assert.Equal("packet://" + device.Id, machine.Spec.ProviderID);
        Assert.Equal(device.Id, machine.Status!.ProviderStatus!.DeviceID);
        Assert.Superset(DeviceTagsFor(machine).ToHashSet(), device.Tags.ToHashSet());
    }

    [Fact]
    public async Task A_device_deleted_behind_our_back_is_replaced()
    {
        await _bed.CreateClusterAsync(workers: 1);
        await _bed.SettleAsync(() => _bed.AllMachinesAsync(Phases.Provisioned));
        var worker = (await _bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, "demo-worker-0", None))!;
        var lost = worker.Status!.ProviderStatus!.DeviceID!;
        await _bed.Client.DeleteDeviceAsync(lost);

        await _bed.SettleAsync(async () =>
        {
            var m = (await _bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, "demo-worker-0", None))!;
            return m.Status?.Phase == Phases.Provisioned && m.Status.ProviderStatus?.DeviceID != lost;
        });
        var devices = await _bed.ClusterDevicesAsync();
        Assert.Equal(2, devices.Count);
        Assert.DoesNotContain(devices, d => d.Id == lost);
        worker = (await _bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, "demo-worker-0", None))!;
        Assert.Equal("packet://" + worker.Status!.ProviderStatus!.DeviceID, worker.Spec.ProviderID);
    }

    [Fact]
    public async Task A_device_that_fails_to_provision_marks_the_machine_failed_and_is_not_recreated()
    {
        await _bed.CreateClusterAsync(workers: 1);
        await _bed.SettleAsync(async () => (await _bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, "demo-worker-0", None))!.Status?.ProviderStatus?.DeviceID is not null);
        var deviceId = (await _bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, "demo-worker-0", None))!.Status!.ProviderStatus!.DeviceID!;
        await _bed.FailDeviceAsync(deviceId);

        await _bed.SettleAsync(async () => (await _bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, "demo-worker-0", None))!.Status?.Phase == Phases.Failed);
        // Rounds after the failed device left the project: still Failed, still no replacement (a MachineSet replaces failed Machines).
        for (var i = 0; i < 5; i++) { _bed.Simulator.Clock.Advance(ControllerTestBed.Round); await _bed.ReconcileAllAsync(); }
        var machine = (await _bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, "demo-worker-0", None))!;
        Assert.Equal(Phases.Failed, machine.Status!.Phase);
        Assert.Equal(MachineReconciler.CreateError, machine.Status.ErrorReason);
        Assert.Contains(deviceId, machine.Status.ErrorMessage);
        Assert.DoesNotContain(await _bed.ClusterDevicesAsync(), d => d.Hostname == "demo-worker-0");

        // Deleting the failed Machine completes even though its device is already gone (the seed got stuck here).
        await _bed.Store.DeleteAsync<Machine>(ControllerTestBed.Ns, "demo-worker-0", None);
        await _bed.SettleAsync(async () => await _bed.Store.GetAsync<Machine>(ControllerTestBed.Ns, "demo-worker-0", None) is null);
    }

    private static string[] DeviceTagsFor(Machine machine) =>
    [
        Engine.Metal.DeviceTags.MachineUid(machine.Metadata.Annotations!["cluster.k8s.io/machine-uid"]),
        Engine.Metal.DeviceTags.ClusterId(ControllerTestBed.ClusterName),
        Engine.Metal.DeviceTags.Role(machine.IsControlPlane),
    ];
}
