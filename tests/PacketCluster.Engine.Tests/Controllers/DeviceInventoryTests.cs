using System.Net;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Tests.Metal;
using Xunit;

namespace PacketCluster.Engine.Tests.Controllers;

public sealed class DeviceInventoryTests
{
    private const string Uid = "0b8f2a52-31a4-4c1e-9d47-5c4f6a3f0e11";
    private static readonly ClusterIdentity Cluster = new("demo", Uid);
    private const string Page = """
        {"devices":[
          {"id":"d1","hostname":"demo-cp-0","state":"active","tags":["cluster-api-provider-packet:cluster-id:demo","cluster-api-provider-packet:machine-uid:u1"]},
          {"id":"d2","hostname":"demo-worker-0","state":"provisioning","tags":["cluster-api-provider-packet:cluster-id:demo","cluster-api-provider-packet:machine-uid:u2"]}
        ],"meta":{"total":2,"next":null}}
        """;

    [Fact]
    public async Task One_list_per_cluster_per_interval_serves_every_lookup()
    {
        using var t = new MetalTestClient();
        t.Handler.Fallback = _ => ScriptedHandler.Response(HttpStatusCode.OK, Page);
        var inventory = new DeviceInventory(t.Client, MetalTestClient.ProjectId, t.Time, maxAge: TimeSpan.FromSeconds(10));

        Assert.Equal("d1", (await inventory.FindByMachineUidAsync(Cluster, "u1", default))!.Id);
        Assert.Equal("d2", (await inventory.FindByMachineUidAsync(Cluster, "u2", default))!.Id);
        Assert.Equal("demo-cp-0", (await inventory.FindByIdAsync(Cluster, "d1", default))!.Hostname);
        Assert.Null(await inventory.FindByMachineUidAsync(Cluster, "u3", default));
        var request = Assert.Single(t.Handler.Requests);
        Assert.Equal("cluster-api-provider-packet:cluster-id:demo", request.Query("tag"));

        t.Time.Advance(TimeSpan.FromSeconds(11));
        await inventory.FindByIdAsync(Cluster, "d1", default);
        Assert.Equal(2, t.Handler.Requests.Count);

        inventory.Invalidate(Cluster);
        await inventory.FindByIdAsync(Cluster, "d1", default);
        Assert.Equal(3, t.Handler.Requests.Count);
    }

    [Fact]
    public async Task Devices_of_another_cluster_of_the_same_name_are_never_seen()
    {
        // Same name tag, three owners: ours (our uid), another cluster named demo (its own uid), and an older
        // version's device tagged with the name only (found only by its machine-uid tag).
        const string page = """
            {"devices":[
              {"id":"ours","hostname":"demo-cp-0","state":"active","tags":["cluster-api-provider-packet:cluster-id:demo","cluster-api-provider-packet:cluster-uid:0b8f2a52-31a4-4c1e-9d47-5c4f6a3f0e11","cluster-api-provider-packet:machine-uid:u1"]},
              {"id":"theirs","hostname":"demo-cp-0","state":"active","tags":["cluster-api-provider-packet:cluster-id:demo","cluster-api-provider-packet:cluster-uid:7d0c0b8e-9a41-4d8e-8f0e-2c8f1d3b6a77","cluster-api-provider-packet:machine-uid:u2"]},
              {"id":"legacy","hostname":"demo-worker-0","state":"active","tags":["cluster-api-provider-packet:cluster-id:demo","cluster-api-provider-packet:machine-uid:u3"]}
            ],"meta":{"total":3,"next":null}}
            """;
        using var t = new MetalTestClient();
        t.Handler.Fallback = _ => ScriptedHandler.Response(HttpStatusCode.OK, page);
        var inventory = new DeviceInventory(t.Client, MetalTestClient.ProjectId, t.Time);

        Assert.Equal(["ours", "legacy"], (await inventory.DevicesAsync(Cluster, default)).Select(d => d.Id));
        Assert.Null(await inventory.FindByMachineUidAsync(Cluster, "u2", default));
        Assert.Null(await inventory.FindByIdAsync(Cluster, "theirs", default));
        Assert.Equal("legacy", (await inventory.FindByMachineUidAsync(Cluster, "u3", default))!.Id);

        // Without a recorded identity only the name-only devices can be matched: an identity we do not hold is never ours.
        var unknown = new ClusterIdentity("demo", null);
        Assert.Equal(["legacy"], (await inventory.DevicesAsync(unknown, default)).Select(d => d.Id));
        var theirs = new ClusterIdentity("demo", "7d0c0b8e-9a41-4d8e-8f0e-2c8f1d3b6a77");
        Assert.Equal(["theirs", "legacy"], (await inventory.DevicesAsync(theirs, default)).Select(d => d.Id));
    }

    [Fact]
    public async Task Api_errors_back_off_exponentially_without_calling_the_API_in_between()
    {
        using var t = new MetalTestClient();
        t.Handler.Fallback = _ => ScriptedHandler.Response(HttpStatusCode.Forbidden, """{"errors":["nope"]}""");
        var inventory = new DeviceInventory(t.Client, MetalTestClient.ProjectId, t.Time);

        var first = await Assert.ThrowsAsync<DeviceInventoryUnavailableException>(() => inventory.DevicesAsync(Cluster, default));
        Assert.Equal(DeviceInventory.BackoffBase, first.RetryAfter);
        var calls = t.Handler.Requests.Count;

        await Assert.ThrowsAsync<DeviceInventoryUnavailableException>(() => inventory.DevicesAsync(Cluster, default));
        Assert.Equal(calls, t.Handler.Requests.Count); // still backing off: no call

        t.Time.Advance(first.RetryAfter);
        var second = await Assert.ThrowsAsync<DeviceInventoryUnavailableException>(() => inventory.DevicesAsync(Cluster, default));
        Assert.Equal(DeviceInventory.BackoffBase * 2, second.RetryAfter);

        Assert.Equal(DeviceInventory.BackoffMax, DeviceInventory.Backoff(50));

        t.Handler.Fallback = _ => ScriptedHandler.Response(HttpStatusCode.OK, Page);
        t.Time.Advance(second.RetryAfter);
        Assert.Equal(2, (await inventory.DevicesAsync(Cluster, default)).Count);
    }

    [Fact]
    public async Task A_device_recorded_while_a_list_is_in_flight_is_not_lost_from_the_answer()
    {
        using var t = new MetalTestClient();
        DeviceInventory inventory = null!;
        var created = new PacketCluster.Engine.Metal.Device { Id = "d3", State = "queued", Tags = ["cluster-api-provider-packet:machine-uid:u3"] };
        // The list's answer was computed before d3 existed; d3 is recorded while the response is on its way.
        t.Handler.Fallback = _ => { inventory.Record(Cluster, created); return ScriptedHandler.Response(HttpStatusCode.OK, Page); };
        inventory = new DeviceInventory(t.Client, MetalTestClient.ProjectId, t.Time);

        var devices = await inventory.DevicesAsync(Cluster, default);
        Assert.Equal(["d1", "d2", "d3"], devices.Select(d => d.Id).Order());
        Assert.Equal("d3", (await inventory.FindByMachineUidAsync(Cluster, "u3", default))!.Id);
        Assert.Single(t.Handler.Requests);
    }

    private static string ProvisioningPage(double percent, string otherState = "active") => $$$"""
        {"devices":[
          {"id":"d1","hostname":"demo-cp-0","state":"{{{otherState}}}","tags":["cluster-api-provider-packet:cluster-id:demo"]},
          {"id":"d2","hostname":"demo-worker-0","state":"provisioning","provisioning_percentage":{{{percent}}},"tags":["cluster-api-provider-packet:cluster-id:demo"]}
        ],"meta":{"total":2,"next":null}}
        """;

    [Fact]
    public async Task While_devices_only_provision_the_list_is_reused_until_the_first_is_forecast_active()
    {
        using var t = new MetalTestClient();
        var percent = 10.0;
        t.Handler.Fallback = _ => ScriptedHandler.Response(HttpStatusCode.OK, ProvisioningPage(percent));
        var inventory = new DeviceInventory(t.Client, MetalTestClient.ProjectId, t.Time, maxAge: TimeSpan.FromSeconds(1));

        await inventory.DevicesAsync(Cluster, default);           // first sight of 10 %: no forecast yet
        t.Time.Advance(TimeSpan.FromSeconds(1));
        percent = 20;                                             // 10 % per second: 80 % left → active in 8 s
        await inventory.DevicesAsync(Cluster, default);
        Assert.Equal(2, t.Handler.Requests.Count);

        t.Time.Advance(TimeSpan.FromSeconds(7.5));
        await inventory.DevicesAsync(Cluster, default);
        Assert.Equal(2, t.Handler.Requests.Count);                // 7.5 s of reuse instead of 7 lists

        t.Time.Advance(TimeSpan.FromSeconds(0.6));
        await inventory.DevicesAsync(Cluster, default);
        Assert.Equal(3, t.Handler.Requests.Count);                // due at the forecast
    }

    [Fact]
    public async Task A_changing_device_or_our_own_write_keeps_the_normal_pace()
    {
        using var t = new MetalTestClient();
        var percent = 10.0;
        var other = "deprovisioning";
        t.Handler.Fallback = _ => ScriptedHandler.Response(HttpStatusCode.OK, ProvisioningPage(percent, other));
        var inventory = new DeviceInventory(t.Client, MetalTestClient.ProjectId, t.Time, maxAge: TimeSpan.FromSeconds(1));

        await inventory.DevicesAsync(Cluster, default);
        t.Time.Advance(TimeSpan.FromSeconds(1));
        percent = 20;
        await inventory.DevicesAsync(Cluster, default);
        t.Time.Advance(TimeSpan.FromSeconds(1.1));
        await inventory.DevicesAsync(Cluster, default);
        Assert.Equal(3, t.Handler.Requests.Count);                // a deprovisioning device: no reuse

        other = "active";
        t.Time.Advance(TimeSpan.FromSeconds(1.1));
        percent = 30;
        await inventory.DevicesAsync(Cluster, default);           // forecast now holds
        inventory.Record(Cluster, new PacketCluster.Engine.Metal.Device { Id = "d3", State = "queued" });
        t.Time.Advance(TimeSpan.FromSeconds(1.1));
        await inventory.DevicesAsync(Cluster, default);
        Assert.Equal(5, t.Handler.Requests.Count);                // our new queued device ended the reuse
    }
}
