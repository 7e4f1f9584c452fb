using System.Net;
using System.Text.Json.Nodes;
using Xunit;

namespace PacketCluster.Simulator.Tests.Api;

public sealed class DevicesIntegrationTests
{
    [Fact]
    public async Task CreateInMetroAndFacility_PlaysQueuedProvisioningActive()
    {
        await using var sim = await TestSimulator.StartAsync();
        var inMetro = await sim.CreateDeviceAsync("m1", metro: "sv", userdata: "#cloud-config\n");
        var inFacility = await sim.CreateDeviceAsync("f1", metro: null, facility: "ewr1");
        Assert.Equal("queued", inMetro["state"]!.GetValue<string>());
        Assert.Equal("sv", inMetro["metro"]!["code"]!.GetValue<string>());
        Assert.Contains(inMetro["facility"]!["code"]!.GetValue<string>(), new[] { "sjc1", "sv15" });
        Assert.Equal("ewr1", inFacility["facility"]!["code"]!.GetValue<string>());
        Assert.Equal("ny", inFacility["metro"]!["code"]!.GetValue<string>());
        var id = inMetro["id"]!.GetValue<string>();

        // Addresses: public v4 /31 and private v4 in 127/8, v6 in 2001:db8::/32, all management.
        var ips = inMetro["ip_addresses"]!.AsArray();
        Assert.Equal(3, ips.Count);
        Assert.All(ips, ip => Assert.True(ip!["management"]!.GetValue<bool>()));
        foreach (var ip in ips)
        {
            var address = IPAddress.Parse(ip!["address"]!.GetValue<string>());
            if (ip["address_family"]!.GetValue<int>() == 4) Assert.Equal(127, address.GetAddressBytes()[0]);
            else Assert.StartsWith("2001:db8:", address.ToString());
        }
        Assert.Contains(ips, ip => ip!["public"]!.GetValue<bool>() == false && ip["address_family"]!.GetValue<int>() == 4);

        sim.Clock.Advance(TimeSpan.FromSeconds(11));
        var provisioning = await sim.GetAsync($"devices/{id}");
        Assert.Equal("provisioning", provisioning["state"]!.GetValue<string>());
        sim.Clock.Advance(TimeSpan.FromSeconds(30));
        provisioning = await sim.GetAsync($"devices/{id}");
        var pct = provisioning["provisioning_percentage"]!.GetValue<double>();
        Assert.InRange(pct, 40, 60);
        Assert.Contains(provisioning["provisioning_events"]!.AsArray(), e => e!["type"]!.GetValue<string>() == "provisioning.104" && e["created_at"] is not null);

        sim.Clock.Advance(TimeSpan.FromSeconds(31));
        var active = await sim.GetAsync($"devices/{id}");
        Assert.Equal("active", active["state"]!.GetValue<string>());
        Assert.Null(active["provisioning_percentage"]);

        var events = await sim.GetAsync($"devices/{id}/events?per_page=50");
        var types = events["events"]!.AsArray().Select(e => e!["type"]!.GetValue<string>()).ToList();
        Assert.Equal(["provisioning.101", "provisioning.102", "provisioning.103", "provisioning.104", "provisioning.107", "provisioning.109"], Enumerable.Reverse(types).ToList());
        var eventId = events["events"]![0]!["id"]!.GetValue<string>();
        Assert.Equal(eventId, (await sim.GetAsync($"events/{eventId}"))["id"]!.GetValue<string>());
        Assert.True((await sim.GetAsync($"projects/{sim.ProjectId}/events"))["meta"]!["total"]!.GetValue<int>() >= 6);

        var userdata = await sim.GetAsync($"devices/{id}/userdata");
        Assert.Equal("#cloud-config\n", userdata["userdata"]!.GetValue<string>());
    }

    [Fact]
    public async Task PowerActionsReinstallUpdateAndDelete()
    {
        await using var sim = await TestSimulator.StartAsync();
        var id = (await sim.CreateDeviceAsync("p1"))["id"]!.GetValue<string>();
        sim.Clock.Advance(TimeSpan.FromSeconds(71));

        await sim.SendExpectAsync(HttpMethod.Post, $"devices/{id}/actions", new { type = "power_off" }, 202);
        Assert.Equal("powering_off", (await sim.GetAsync($"devices/{id}"))["state"]!.GetValue<string>());
        sim.Clock.Advance(TimeSpan.FromSeconds(11));
        Assert.Equal("inactive", (await sim.GetAsync($"devices/{id}"))["state"]!.GetValue<string>());
        var wrong = await sim.SendExpectAsync(HttpMethod.Post, $"devices/{id}/actions", new { type = "power_off" }, 422);
        Assert.NotEmpty(TestSimulator.Errors(wrong));
        await sim.SendExpectAsync(HttpMethod.Post, $"devices/{id}/actions", new { type = "power_on" }, 202);
        Assert.Equal("powering_on", (await sim.GetAsync($"devices/{id}"))["state"]!.GetValue<string>());
        sim.Clock.Advance(TimeSpan.FromSeconds(11));
        await sim.SendExpectAsync(HttpMethod.Post, $"devices/{id}/actions", new { type = "reinstall", operating_system = "ubuntu_24_04", deprovision_fast = true }, 202);
        var reinstalling = await sim.GetAsync($"devices/{id}");
        Assert.Equal("reinstalling", reinstalling["state"]!.GetValue<string>());
        Assert.Equal("ubuntu_24_04", reinstalling["operating_system"]!["slug"]!.GetValue<string>());
        sim.Clock.Advance(TimeSpan.FromSeconds(11));

        var put = await sim.SendExpectAsync(HttpMethod.Put, $"devices/{id}", new { hostname = "renamed", tags = new[] { "x" }, description = "d" }, 200);
        Assert.Equal("renamed", put!["hostname"]!.GetValue<string>());
        var patch = await sim.SendExpectAsync(HttpMethod.Patch, $"devices/{id}", new { locked = true }, 200);
        Assert.True(patch!["locked"]!.GetValue<bool>());
        await sim.SendExpectAsync(HttpMethod.Delete, $"devices/{id}", null, 422);
        await sim.SendExpectAsync(HttpMethod.Patch, $"devices/{id}", new { locked = false }, 200);

        // force_delete as a JSON body (packngo) and in the query (spec).
        await sim.SendExpectAsync(HttpMethod.Delete, $"devices/{id}", new { force_delete = false }, 204);
        Assert.Equal("deprovisioning", (await sim.GetAsync($"devices/{id}"))["state"]!.GetValue<string>());
        sim.Clock.Advance(TimeSpan.FromSeconds(11));
        await sim.GetAsync($"devices/{id}", 404);

        var other = (await sim.CreateDeviceAsync("p2"))["id"]!.GetValue<string>();
        sim.Clock.Advance(TimeSpan.FromSeconds(71));
        await sim.SendExpectAsync(HttpMethod.Delete, $"devices/{other}?force_delete=true", null, 204);
    }

    [Fact]
    public async Task ListPaginatesWithMetaAcrossPages()
    {
        await using var sim = await TestSimulator.StartAsync();
        for (var i = 0; i < 25; i++) await sim.CreateDeviceAsync($"node-{i:00}");

        var first = await sim.GetAsync($"projects/{sim.ProjectId}/devices");
        var meta = first["meta"]!;
        Assert.Equal(10, first["devices"]!.AsArray().Count);
        Assert.Equal(25, meta["total"]!.GetValue<int>());
        Assert.Equal(1, meta["current_page"]!.GetValue<int>());
        Assert.Equal(3, meta["last_page"]!.GetValue<int>());
        Assert.Null(meta["previous"]);
        Assert.StartsWith($"/metal/v1/projects/{sim.ProjectId}/devices?", meta["next"]!["href"]!.GetValue<string>());
        Assert.Contains("page=2", meta["next"]!["href"]!.GetValue<string>());
        Assert.Contains("page=3", meta["last"]!["href"]!.GetValue<string>());

        var seen = new HashSet<string>();
        for (var page = 1; page <= 3; page++)
        {
            var body = await sim.GetAsync($"projects/{sim.ProjectId}/devices?page={page}&per_page=10&include=facility");
            foreach (var d in body["devices"]!.AsArray()) seen.Add(d!["id"]!.GetValue<string>());
            if (page == 3)
            {
                Assert.Equal(5, body["devices"]!.AsArray().Count);
                Assert.Null(body["meta"]!["next"]);
                Assert.Contains("page=2", body["meta"]!["previous"]!["href"]!.GetValue<string>());
            }
        }
        Assert.Equal(25, seen.Count);
        var all = await sim.GetAsync($"projects/{sim.ProjectId}/devices?per_page=1000");
        Assert.Equal(25, all["devices"]!.AsArray().Count);

        // The contract declares no 4xx for the query: out of range is clamped (page 0 is the first), not refused.
        var zero = await sim.GetAsync($"projects/{sim.ProjectId}/devices?page=0&per_page=0");
        Assert.Equal(1, zero["meta"]!["current_page"]!.GetValue<int>());
        Assert.Single(zero["devices"]!.AsArray());
    }

    [Fact]
    public async Task Two_simulators_running_at_once_hand_out_different_addresses()
    {
        await using var one = await TestSimulator.StartAsync();
        await using var two = await TestSimulator.StartAsync();
        var a = (await one.CreateDeviceAsync("cp-0"))["ip_addresses"]!.AsArray().Select(i => i!["address"]!.GetValue<string>()).ToList();
        var b = (await two.CreateDeviceAsync("cp-0"))["ip_addresses"]!.AsArray().Select(i => i!["address"]!.GetValue<string>()).ToList();
        // IPv4 only: IPv6 comes from the documentation prefix and is never contacted, so nothing binds it.
        static IEnumerable<string> V4(IEnumerable<string> all) => all.Where(x => !x.Contains(':'));
        Assert.NotEmpty(V4(a));
        Assert.Empty(V4(a).Intersect(V4(b)));
        Assert.NotEqual(one.Host.World.Config.Addresses.ElasticIpv4, two.Host.World.Config.Addresses.ElasticIpv4);
        Assert.All(V4(a.Concat(b)), x => Assert.StartsWith("127.", x));
    }

    [Fact]
    public async Task TagSearchAndHostnameFilters()
    {
        await using var sim = await TestSimulator.StartAsync();
        await sim.CreateDeviceAsync("alpha-1", tags: ["cluster:a"]);
        await sim.CreateDeviceAsync("alpha-2", tags: ["cluster:a", "role:cp"]);
        var beta = await sim.CreateDeviceAsync("beta-1", tags: ["cluster:b"], metro: null, facility: "ams1");

        JsonArray Devices(JsonNode body) => body["devices"]!.AsArray();
        Assert.Equal(2, Devices(await sim.GetAsync($"projects/{sim.ProjectId}/devices?tag=cluster:a")).Count);
        Assert.Single(Devices(await sim.GetAsync($"projects/{sim.ProjectId}/devices?tag=role:cp")));
        Assert.Empty(Devices(await sim.GetAsync($"projects/{sim.ProjectId}/devices?tag=cluster")));
        Assert.Equal(2, Devices(await sim.GetAsync($"projects/{sim.ProjectId}/devices?search=alpha")).Count);
        Assert.Single(Devices(await sim.GetAsync($"projects/{sim.ProjectId}/devices?search=ams1")));
        var betaIp = beta["ip_addresses"]![0]!["address"]!.GetValue<string>();
        Assert.Single(Devices(await sim.GetAsync($"projects/{sim.ProjectId}/devices?search={betaIp}")));
        Assert.Single(Devices(await sim.GetAsync($"projects/{sim.ProjectId}/devices?hostname=beta")));
    }

    [Fact]
    public async Task ValidationErrorsUseTheRealMessages()
    {
        await using var sim = await TestSimulator.StartAsync();
        var path = $"projects/{sim.ProjectId}/devices";

        var badFacility = await sim.SendExpectAsync(HttpMethod.Post, path, new { plan = "c3.small.x86", operating_system = "ubuntu_22_04", facility = new[] { "zz9" } }, 422);
        Assert.Equal(["zz9 is not a valid facility"], TestSimulator.Errors(badFacility));
        var badMetro = await sim.SendExpectAsync(HttpMethod.Post, path, new { plan = "c3.small.x86", operating_system = "ubuntu_22_04", metro = "qq" }, 422);
        Assert.Equal(["qq is not a valid metro"], TestSimulator.Errors(badMetro));
        var noCapacity = await sim.SendExpectAsync(HttpMethod.Post, path, new { plan = "t1.small.x86", operating_system = "ubuntu_18_04", facility = "ewr1" }, 422);
        Assert.Equal(["The facility ewr1 has no provisionable t1.small.x86 servers matching your criteria"], TestSimulator.Errors(noCapacity));
        var badPlan = await sim.SendExpectAsync(HttpMethod.Post, path, new { plan = "z9.huge", operating_system = "ubuntu_22_04", metro = "sv" }, 422);
        Assert.Contains("z9.huge is not a valid plan", TestSimulator.Errors(badPlan));
        var badOs = await sim.SendExpectAsync(HttpMethod.Post, path, new { plan = "c3.small.x86", operating_system = "windows_95", metro = "sv" }, 422);
        Assert.Contains("windows_95 is not a valid operating system", TestSimulator.Errors(badOs));
        var missing = await sim.SendExpectAsync(HttpMethod.Post, path, new { hostname = "x" }, 422);
        Assert.Equal(3, TestSimulator.Errors(missing).Count);

        var id = (await sim.CreateDeviceAsync("busy"))["id"]!.GetValue<string>();
        var busy = await sim.SendExpectAsync(HttpMethod.Delete, $"devices/{id}", null, 422);
        Assert.Equal(["Cannot delete a device while it is provisioning"], TestSimulator.Errors(busy));

        // No project keys and none named: the real 422; no_ssh_keys gets through.
        var keys = await sim.GetAsync($"projects/{sim.ProjectId}/ssh-keys");
        foreach (var key in keys["ssh_keys"]!.AsArray()) await sim.SendExpectAsync(HttpMethod.Delete, $"ssh-keys/{key!["id"]}", null, 204);
        var noKeys = await sim.SendExpectAsync(HttpMethod.Post, path, new { plan = "c3.small.x86", operating_system = "ubuntu_22_04", metro = "sv" }, 422);
        Assert.Equal(["must have at least one SSH key or explicitly send no_ssh_keys option"], TestSimulator.Errors(noKeys));
        await sim.SendExpectAsync(HttpMethod.Post, path, new { plan = "c3.small.x86", operating_system = "ubuntu_22_04", metro = "sv", no_ssh_keys = true }, 201);

        await sim.GetAsync($"devices/{Guid.NewGuid()}", 404);
        await sim.GetAsync($"projects/{Guid.NewGuid()}", 404);
    }

    [Fact]
    public async Task FailedDeviceAnswers403ThenDisappears()
    {
        var config = TestSimulator.FastConfig();
        config.Faults.Provisioning.Add(new() { Hostname = "^doomed-" });
        await using var sim = await TestSimulator.StartAsync(config);
        var doomed = (await sim.CreateDeviceAsync("doomed-1"))["id"]!.GetValue<string>();
        var fine = (await sim.CreateDeviceAsync("fine-1"))["id"]!.GetValue<string>();

        sim.Clock.Advance(TimeSpan.FromSeconds(71));
        var forbidden = await sim.GetAsync($"devices/{doomed}", 403);
        Assert.NotEmpty(TestSimulator.Errors(forbidden));
        var list = await sim.GetAsync($"projects/{sim.ProjectId}/devices");
        Assert.Contains(list["devices"]!.AsArray(), d => d!["id"]!.GetValue<string>() == doomed && d["state"]!.GetValue<string>() == "failed");
        Assert.Equal("active", (await sim.GetAsync($"devices/{fine}"))["state"]!.GetValue<string>());

        sim.Clock.Advance(TimeSpan.FromSeconds(31));
        await sim.GetAsync($"devices/{doomed}", 404);

        // The admin endpoint fails a device on demand.
        using var admin = sim.AdminClient();
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"devices/{fine}/fail", null)).StatusCode);
        await sim.GetAsync($"devices/{fine}", 403);
    }
}
