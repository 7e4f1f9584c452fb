using PacketCluster.Engine;
using PacketCluster.Engine.Metal;
using PacketCluster.Simulator.Config;
using PacketCluster.Simulator.Hosting;
using Xunit;

namespace PacketCluster.Simulator.Tests.Contract;

/// <summary>
/// Every endpoint the engine's client uses, called through <see cref="RequestContractHandler"/>: request bodies are
/// checked against the Metal OpenAPI request schemas, responses against the response schemas.
/// </summary>
public sealed class PacketClientContractTests : IAsyncLifetime
{
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(new SimulatorOptions
    {
        Seed = 99,
        Config = new SimulatorConfig
        {
            Timings = new DeviceTimings
            {
                Queued = new Timing(TimeSpan.FromMilliseconds(50)),
                Provisioning = new Timing(TimeSpan.FromMilliseconds(200)),
                Deprovisioning = new Timing(TimeSpan.FromMilliseconds(50)),
                PowerOff = new Timing(TimeSpan.FromMilliseconds(50)),
                PowerOn = new Timing(TimeSpan.FromMilliseconds(50)),
            },
        },
    });

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    [Fact]
    public async Task Every_client_call_sends_and_receives_bodies_that_match_the_spec()
    {
        var handler = new RequestContractHandler();
        using var client = new PacketClient(new PacketApiOptions
        {
            Endpoint = _simulator.BaseUrl, ApiKey = _simulator.ApiKey, ProjectId = _simulator.ProjectId,
        }, NullEngineLog.Instance, handler);
        var project = _simulator.ProjectId;

        await client.GetProjectAsync(project);
        await client.ListProjectsAsync();
        await client.GetMetrosAsync();
        await client.GetFacilitiesAsync();
        Assert.NotEmpty(await client.GetPlansAsync(new PlanFilter { Metro = "sv" }));
        await client.GetOperatingSystemsAsync();
        Assert.True((await client.CheckCapacityAsync(PacketLocation.Metro("sv"), "c3.small.x86", 2)).Available);
        await client.CheckCapacityAsync(PacketLocation.Facility("ewr1"), "c3.small.x86", 1);
        await client.ListHardwareReservationsAsync(project);
        await client.ListProjectSshKeysAsync(project);
        await client.ListUserSshKeysAsync();
        await client.CreateProjectSshKeyAsync(project, new SshKeyCreateRequest("contract", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 contract"));

        var tag = "cluster-api-provider-packet:cluster-id:contract";
        var inMetro = await client.CreateDeviceAsync(project, new DeviceCreateRequest
        {
            Hostname = "contract-cp-0", Plan = "c3.small.x86", OperatingSystem = "ubuntu_22_04", Metro = "sv",
            BillingCycle = "hourly", Userdata = "#cloud-config\n", Tags = [tag, "kubernetes.io/role:master"],
            SshKeys = [new DeviceSshKey("pc", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 pc")],
        });
        var inFacility = await client.CreateDeviceAsync(project, new DeviceCreateRequest
        {
            Hostname = "contract-worker-0", Plan = "c3.small.x86", OperatingSystem = "ubuntu_22_04", Facility = "ewr1", Tags = [tag],
        });
        Assert.Equal(2, (await client.ListDevicesAsync(project, new DeviceListFilter { Tag = tag })).Count);
        Assert.Equal(2, (await client.FindDevicesByTagAsync(project, tag)).Count);
        var active = await WaitForStateAsync(client, inMetro.Id!, "active");
        await client.UpdateDeviceAsync(active.Id!, new DeviceUpdateRequest { Description = "contract test", Tags = [tag, "extra"] });
        await client.ListDeviceEventsAsync(active.Id!);

        var reservation = await client.RequestIpReservationAsync(project, new IpReservationRequest { Metro = "sv", Tags = [tag] });
        await client.ListIpReservationsAsync(project, ["public_ipv4"]);
        await client.GetIpAsync(reservation.Id!);
        var assignment = await client.AssignIpAsync(active.Id!, reservation.Address!);
        await client.UnassignIpAsync(assignment.Id!);
        await client.DeleteIpReservationAsync(reservation.Id!);

        await client.PerformDeviceActionAsync(active.Id!, DeviceActionType.PowerOff);
        await WaitForStateAsync(client, active.Id!, "inactive");
        await client.DeleteDeviceAsync(active.Id!);
        await WaitForStateAsync(client, inFacility.Id!, "active");
        await client.DeleteDeviceAsync(inFacility.Id!, forceDelete: true);

        var expected = new[]
        {
            "GET /projects/{id}", "GET /projects", "GET /locations/metros", "GET /facilities", "GET /plans", "GET /operating-systems",
            "POST /capacity/metros", "POST /capacity", "GET /projects/{id}/hardware-reservations", "GET /projects/{id}/ssh-keys",
            "GET /ssh-keys", "POST /projects/{id}/ssh-keys", "POST /projects/{id}/devices", "GET /projects/{id}/devices",
            "GET /devices/{id}", "PUT /devices/{id}", "GET /devices/{id}/events", "POST /projects/{id}/ips", "GET /projects/{id}/ips",
            "GET /ips/{id}", "POST /devices/{id}/ips", "DELETE /ips/{id}", "POST /devices/{id}/actions", "DELETE /devices/{id}",
        };
        Assert.Empty(expected.Except(handler.Operations));
    }

    private static async Task<Device> WaitForStateAsync(PacketClient client, string id, string state)
    {
        // Bounded: the simulator's timings above are well under a second.
        for (var i = 0; i < 100; i++)
        {
            var device = await client.GetDeviceAsync(id);
            if (device.State == state) return device;
            await Task.Delay(50);
        }
        throw new Xunit.Sdk.XunitException($"device {id} never reached {state}");
    }
}
