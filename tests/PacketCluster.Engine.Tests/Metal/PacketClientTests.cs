using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using PacketCluster.Engine.Metal;
using Xunit;

namespace PacketCluster.Engine.Tests.Metal;

/// <summary>Requests the client builds: paths, query strings, headers, bodies, and pagination.</summary>
public class PacketClientTests
{
    private const string P = MetalTestClient.ProjectId;

    private static string DevicePage(int page, int lastPage, params string[] hostnames)
    {
        var devices = string.Join(",", hostnames.Select(h => $"{{\"id\":\"id-{h}\",\"hostname\":\"{h}\",\"state\":\"active\",\"tags\":[\"t\"]}}"));
        var next = page < lastPage ? $"{{\"href\":\"/metal/v1/projects/{P}/devices?page={page + 1}\"}}" : "null";
        return $"{{\"devices\":[{devices}],\"meta\":{{\"current_page\":{page},\"last_page\":{lastPage},\"total\":{hostnames.Length * lastPage},\"next\":{next}}}}}";
    }

    [Fact]
    public async Task ListDevices_follows_every_page_by_page_number()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.OK, DevicePage(1, 3, "a", "b"))
            .Respond(HttpStatusCode.OK, DevicePage(2, 3, "c", "d"))
            .Respond(HttpStatusCode.OK, DevicePage(3, 3, "e"));

        var devices = await t.Client.ListDevicesAsync(P, null, CancellationToken.None);

        Assert.Equal(["a", "b", "c", "d", "e"], devices.Select(d => d.Hostname));
        Assert.Equal(["1", "2", "3"], t.Handler.Requests.Select(r => r.Query("page")));
        Assert.All(t.Handler.Requests, r => Assert.Equal($"/metal/v1/projects/{P}/devices", r.Uri.AbsolutePath));
        Assert.All(t.Handler.Requests, r => Assert.Equal("100", r.Query("per_page")));
    }

    [Fact]
    public async Task ListDevices_stops_when_meta_next_is_null_without_page_numbers()
    {
        // The 2016 meta shape has no current_page/last_page; only next tells.
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.OK, """{"devices":[{"id":"1"}],"meta":{"first":{"href":"/devices?page=1"},"previous":null,"next":{"href":"/devices?page=2"},"total":2}}""")
            .Respond(HttpStatusCode.OK, """{"devices":[{"id":"2"}],"meta":{"previous":{"href":"/devices?page=1"},"next":null,"total":2}}""");

        var devices = await t.Client.ListDevicesAsync(P);

        Assert.Equal(["1", "2"], devices.Select(d => d.Id));
        Assert.Equal(2, t.Handler.Requests.Count);
    }

    [Fact]
    public async Task ListDevices_reads_meta_leniently_and_refuses_a_page_without_its_list()
    {
        using var t = new MetalTestClient();
        // Page numbers as strings count as absent: only next decides. Unknown members, before and after, are skipped.
        t.Handler.Respond(HttpStatusCode.OK, """{"extra":{"a":[1,2]},"meta":{"current_page":"1","last_page":"2","next":{"href":"/devices?page=2"}},"devices":[{"id":"1","userdata":"#cloud-config"}]}""")
            .Respond(HttpStatusCode.OK, """{"devices":null,"meta":{"next":null}}""")
            .Respond(HttpStatusCode.OK, """{"ips":[]}""");

        var devices = await t.Client.ListDevicesAsync(P);
        var error = await Assert.ThrowsAsync<PacketApiException>(() => t.Client.ListDevicesAsync(P));

        Assert.Equal(["1"], devices.Select(d => d.Id));
        Assert.Equal("PacketApiInvalidResponse", error.ErrorId);
        Assert.Contains("no \"devices\" list", error.Message);
    }

    [Fact]
    public async Task A_blank_success_body_reads_as_no_body()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.OK, " \r\n").Respond(HttpStatusCode.OK, "");

        Assert.Equal("", await t.Client.GetDeviceUserdataAsync("d1"));
        Assert.Equal("", await t.Client.GetDeviceUserdataAsync("d1"));
    }

    [Fact]
    public async Task ListDevices_bounds_the_page_count_of_a_server_that_never_ends()
    {
        using var t = new MetalTestClient(o => o with { MaxPages = 5 });
        // Ignores ?page= and always says there is more.
        t.Handler.Fallback = _ => ScriptedHandler.Response(HttpStatusCode.OK, """{"devices":[{"id":"x"}],"meta":{"current_page":1,"last_page":9,"next":{"href":"/devices?page=2"}}}""");

        var error = await Assert.ThrowsAsync<PacketClusterException>(() => t.Client.ListDevicesAsync(P));

        Assert.Equal("PacketApiTooManyPages", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, error.Kind);
        Assert.Equal(5, t.Handler.Requests.Count);
    }

    [Fact]
    public async Task ListDevices_sends_tag_search_include_and_per_page()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.OK, DevicePage(1, 1, "a"));

        await t.Client.ListDevicesAsync(P, new DeviceListFilter
        {
            Tag = "cluster-api-provider-packet:cluster-id:c1",
            Search = "c1 control",
            Include = ["project", "hardware_reservation"],
            PerPage = 250,
        });

        var request = Assert.Single(t.Handler.Requests);
        Assert.Equal("GET", request.Method);
        Assert.Equal("cluster-api-provider-packet:cluster-id:c1", request.Query("tag"));
        Assert.Equal("c1 control", request.Query("search"));
        Assert.Equal("project,hardware_reservation", request.Query("include"));
        Assert.Contains("include=project,hardware_reservation", request.Uri.Query);
        Assert.Equal("250", request.Query("per_page"));
        Assert.Equal("1", request.Query("page"));
    }

    [Fact]
    public async Task FindDevicesByTag_filters_server_side_and_again_client_side()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.OK, """{"devices":[{"id":"1","tags":["c1"]},{"id":"2","tags":["other"]}],"meta":{"current_page":1,"last_page":1}}""");

        var devices = await t.Client.FindDevicesByTagAsync(P, "c1");

        Assert.Equal("1", Assert.Single(devices).Id);
        Assert.Equal("c1", t.Handler.Requests[0].Query("tag"));
    }

    [Fact]
    public async Task GetDevice_sends_include_and_escapes_the_id()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.OK, """{"id":"d1","hostname":"h"}""");

        var device = await t.Client.GetDeviceAsync("d1", ["project", "metro"]);

        Assert.Equal("h", device.Hostname);
        var request = Assert.Single(t.Handler.Requests);
        Assert.Equal("/metal/v1/devices/d1?include=project,metro", request.PathAndQuery);

        t.Handler.Respond(HttpStatusCode.OK, """{"id":"x"}""");
        await t.Client.GetDeviceAsync("../projects");
        Assert.Equal("/metal/v1/devices/..%2Fprojects", t.Handler.Requests[1].Uri.AbsolutePath);
    }

    [Fact]
    public async Task Sends_auth_accept_consumer_token_and_user_agent_on_every_request()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.OK, """{"id":"p"}""").Respond(HttpStatusCode.Accepted);

        await t.Client.GetProjectAsync(P);
        await t.Client.PerformDeviceActionAsync("d1", DeviceActionType.Reboot);

        foreach (var request in t.Handler.Requests)
        {
            Assert.Equal(MetalTestClient.ApiKey, request.Headers["X-Auth-Token"]);
            Assert.Equal("application/json", request.Headers["Accept"]);
            Assert.StartsWith("PacketCluster/", request.Headers["X-Consumer-Token"]);
            Assert.StartsWith("PacketCluster/", request.Headers["User-Agent"]);
        }
        Assert.False(t.Handler.Requests[0].Headers.ContainsKey("Content-Type"));
        Assert.StartsWith("application/json", t.Handler.Requests[1].Headers["Content-Type"]);
        Assert.Equal($"PacketCluster/{typeof(PacketClient).Assembly.GetName().Version!.ToString(3)}", PacketApiOptions.ProductToken.Split('+')[0]);
    }

    [Fact]
    public async Task CreateDevice_body_uses_the_spec_names_for_the_metro_variant()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.Created, """{"id":"new","state":"queued"}""");

        var device = await t.Client.CreateDeviceAsync(P, new DeviceCreateRequest
        {
            Hostname = "c1-cp-0",
            Plan = "c3.small.x86",
            OperatingSystem = "ubuntu_20_04",
            Metro = "sv",
            Userdata = "#cloud-config\n",
            Tags = ["cluster-api-provider-packet:cluster-id:c1"],
            SshKeys = [new DeviceSshKey("c1", "ssh-ed25519 AAAA c1")],
            ProjectSshKeys = ["9d1e2c3b-0000-4000-8000-000000000001"],
            HardwareReservationId = "next-available",
            SpotInstance = true,
            SpotPriceMax = 0.45,
            Locked = false,
            Customdata = new JsonObject { ["cluster"] = "c1" },
            IpAddresses = [new DeviceIpAddressRequest { AddressFamily = 4, Public = false }],
        });

        Assert.Equal("queued", device.State);
        var request = Assert.Single(t.Handler.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal($"/metal/v1/projects/{P}/devices", request.PathAndQuery);
        var body = JsonNode.Parse(request.Body!)!.AsObject();
        Assert.Equal(
            ["billing_cycle", "customdata", "hardware_reservation_id", "hostname", "ip_addresses", "locked", "metro", "operating_system", "plan",
             "project_ssh_keys", "spot_instance", "spot_price_max", "ssh_keys", "tags", "userdata"],
            body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("c3.small.x86", (string?)body["plan"]);
        Assert.Equal("ubuntu_20_04", (string?)body["operating_system"]);
        Assert.Equal("sv", (string?)body["metro"]);
        Assert.Equal("hourly", (string?)body["billing_cycle"]);
        Assert.Equal("#cloud-config\n", (string?)body["userdata"]);
        Assert.Equal("""[{"label":"c1","key":"ssh-ed25519 AAAA c1"}]""", body["ssh_keys"]!.ToJsonString());
        Assert.Equal("""[{"address_family":4,"public":false}]""", body["ip_addresses"]!.ToJsonString());
        Assert.Equal(JsonValueKind.Number, body["spot_price_max"]!.GetValueKind());
        Assert.DoesNotContain("null", request.Body);
    }

    [Fact]
    public async Task CreateDevice_facility_variant_sends_facility_and_no_metro()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.Created, """{"id":"new"}""");

        await t.Client.CreateDeviceAsync(P, new DeviceCreateRequest { Plan = "baremetal_0", OperatingSystem = "ubuntu_18_04", Facility = "ewr1", BillingCycle = null });

        var body = JsonNode.Parse(t.Handler.Requests[0].Body!)!.AsObject();
        Assert.Equal(["facility", "operating_system", "plan"], body.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal("ewr1", (string?)body["facility"]);
    }

    [Theory]
    [InlineData("sv", "ewr1", "exactly one of metro or facility")]
    [InlineData(null, null, "exactly one of metro or facility")]
    [InlineData("sv", null, "billing cycle")]
    public async Task CreateDevice_rejects_a_bad_request_before_sending(string? metro, string? facility, string problem)
    {
        using var t = new MetalTestClient();
        var request = new DeviceCreateRequest { Plan = "p", OperatingSystem = "o", Metro = metro, Facility = facility, BillingCycle = metro is not null && facility is null ? "weekly" : "hourly" };

        var error = await Assert.ThrowsAsync<PacketClusterException>(() => t.Client.CreateDeviceAsync(P, request));

        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        Assert.Contains(problem, error.Message);
        Assert.Empty(t.Handler.Requests);
    }

    [Fact]
    public async Task Update_delete_and_action_requests_match_the_spec()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.OK, """{"id":"d1","locked":true}""").Respond(HttpStatusCode.NoContent).Respond(HttpStatusCode.NoContent)
            .Respond(HttpStatusCode.Accepted);

        var updated = await t.Client.UpdateDeviceAsync("d1", new DeviceUpdateRequest { Locked = true, Tags = [] });
        await t.Client.DeleteDeviceAsync("d1");
        await t.Client.DeleteDeviceAsync("d1", forceDelete: true);
        await t.Client.PerformDeviceActionAsync("d1", DeviceActionType.PowerOff);

        Assert.True(updated.Locked);
        var r = t.Handler.Requests;
        Assert.Equal(("PUT", "/metal/v1/devices/d1", """{"locked":true,"tags":[]}"""), (r[0].Method, r[0].PathAndQuery, r[0].Body));
        Assert.Equal(("DELETE", "/metal/v1/devices/d1", (string?)null), (r[1].Method, r[1].PathAndQuery, r[1].Body));
        Assert.Equal(("DELETE", "/metal/v1/devices/d1?force_delete=true"), (r[2].Method, r[2].PathAndQuery));
        Assert.Equal(("POST", "/metal/v1/devices/d1/actions", """{"type":"power_off"}"""), (r[3].Method, r[3].PathAndQuery, r[3].Body));
    }

    [Fact]
    public async Task Ip_ssh_key_and_capacity_requests_match_the_spec()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.Created, """{"id":"r1","type":"public_ipv4","state":"created","quantity":1,"address":"145.40.9.9","tags":["eip"]}""")
            .Respond(HttpStatusCode.Created, """{"id":"a1","address":"145.40.9.9","assigned_to":{"href":"/metal/v1/devices/d1"}}""")
            .Respond(HttpStatusCode.NoContent).Respond(HttpStatusCode.NoContent)
            .Respond(HttpStatusCode.Created, """{"id":"k1","label":"c1","key":"ssh-ed25519 AAAA"}""")
            .Respond(HttpStatusCode.OK, """{"servers":[{"metro":"sv","plan":"c3.small.x86","quantity":"2","available":true}]}""")
            .Respond(HttpStatusCode.OK, """{"servers":[{"facility":"ewr1","plan":"baremetal_0","quantity":10,"available":false}]}""");

        var reservation = await t.Client.RequestIpReservationAsync(P, new IpReservationRequest { Metro = "sv", Tags = ["eip"] });
        var assignment = await t.Client.AssignIpAsync("d1", "145.40.9.9");
        await t.Client.UnassignIpAsync("a1");
        await t.Client.DeleteIpReservationAsync("r1");
        var key = await t.Client.CreateProjectSshKeyAsync(P, new SshKeyCreateRequest("c1", "ssh-ed25519 AAAA"));
        var metroCapacity = await t.Client.CheckCapacityAsync(PacketLocation.Metro("sv"), "c3.small.x86", 2);
        var facilityCapacity = await t.Client.CheckCapacityAsync(PacketLocation.Parse("ewr1"), "baremetal_0", 10);

        Assert.Equal(("r1", "created"), (reservation.Id, reservation.State));
        Assert.Equal("d1", assignment.AssignedTo!.Id);
        Assert.Equal("k1", key.Id);
        Assert.Equal((true, 2, "sv"), (metroCapacity.Available, metroCapacity.Quantity, metroCapacity.Metro));
        Assert.Equal((false, 10, "ewr1"), (facilityCapacity.Available, facilityCapacity.Quantity, facilityCapacity.Facility));
        var r = t.Handler.Requests;
        Assert.Equal(("POST", $"/metal/v1/projects/{P}/ips", """{"type":"public_ipv4","quantity":1,"metro":"sv","tags":["eip"],"fail_on_approval_required":true}"""),
            (r[0].Method, r[0].PathAndQuery, r[0].Body));
        Assert.Equal(("POST", "/metal/v1/devices/d1/ips", """{"address":"145.40.9.9"}"""), (r[1].Method, r[1].PathAndQuery, r[1].Body));
        Assert.Equal(("DELETE", "/metal/v1/ips/a1"), (r[2].Method, r[2].PathAndQuery));
        Assert.Equal(("DELETE", "/metal/v1/ips/r1"), (r[3].Method, r[3].PathAndQuery));
        Assert.Equal(("POST", $"/metal/v1/projects/{P}/ssh-keys", """{"label":"c1","key":"ssh-ed25519 AAAA"}"""), (r[4].Method, r[4].PathAndQuery, r[4].Body));
        Assert.Equal(("POST", "/metal/v1/capacity/metros", """{"servers":[{"metro":"sv","plan":"c3.small.x86","quantity":"2"}]}"""), (r[5].Method, r[5].PathAndQuery, r[5].Body));
        Assert.Equal(("POST", "/metal/v1/capacity", """{"servers":[{"facility":"ewr1","plan":"baremetal_0","quantity":"10"}]}"""), (r[6].Method, r[6].PathAndQuery, r[6].Body));
    }

    [Fact]
    public async Task ListIpReservations_sends_types_and_the_ip_page_size()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.OK, """{"ip_addresses":[{"id":"r1","type":"public_ipv4","tags":["eip"],"assignments":[{"id":"a1","address":"1.2.3.4","assigned_to":{"href":"/devices/d1"}}]}],"meta":{"current_page":1,"last_page":1}}""");

        var reservations = await t.Client.ListIpReservationsAsync(P, ["public_ipv4", "public_ipv6"]);

        var reservation = Assert.Single(reservations);
        Assert.Equal("a1", Assert.Single(reservation.Assignments).Id);
        var request = Assert.Single(t.Handler.Requests);
        Assert.Equal($"/metal/v1/projects/{P}/ips", request.Uri.AbsolutePath);
        Assert.Equal(["public_ipv4", "public_ipv6"], request.QueryAll("types"));
        Assert.Equal("250", request.Query("per_page"));
    }

    [Fact]
    public async Task GetIp_tells_an_assignment_from_a_reservation()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.OK, """{"id":"a1","address":"1.2.3.4","assigned_to":{"href":"/metal/v1/devices/d1"}}""")
            .Respond(HttpStatusCode.OK, """{"id":"r1","type":"public_ipv4","state":"created","assignments":[]}""");

        Assert.IsType<IpAssignment>(await t.Client.GetIpAsync("a1"));
        Assert.Equal("public_ipv4", Assert.IsType<IpReservation>(await t.Client.GetIpAsync("r1")).Type);
        Assert.Equal("/metal/v1/ips/a1", t.Handler.Requests[0].PathAndQuery);
    }

    [Fact]
    public async Task GetPlans_includes_availability_and_filters_by_location()
    {
        using var t = new MetalTestClient();
        var body = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", "metal", "constructed-plans.json"));
        t.Handler.Respond(HttpStatusCode.OK, body).Respond(HttpStatusCode.OK, body).Respond(HttpStatusCode.OK, body);

        var inSv = await t.Client.GetPlansAsync(new PlanFilter { Metro = "sv" });
        var inEwr = await t.Client.GetPlansAsync(new PlanFilter { Facility = "sv15" });
        var all = await t.Client.GetPlansAsync();

        Assert.Equal("c3.small.x86", Assert.Single(inSv).Slug);
        Assert.Equal(0.55, inSv[0].HourlyPriceIn("sv"));
        Assert.Equal(0.5, inSv[0].HourlyPriceIn("da"));
        Assert.Single(inEwr);
        Assert.Equal(2, all.Count);
        Assert.Equal(3.1, all[1].Pricing!.Hour);
        Assert.Equal(["available_in_metros", "available_in", "available_in,available_in_metros"], t.Handler.Requests.Select(r => r.Query("include")));
        Assert.All(t.Handler.Requests, r => Assert.Equal("/metal/v1/plans", r.Uri.AbsolutePath));
    }

    [Fact]
    public async Task Catalogue_and_key_lists_read_their_collections()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.OK, """{"metros":[{"id":"m","code":"sv","name":"Silicon Valley","country":"US"}]}""")
            .Respond(HttpStatusCode.OK, """{"facilities":[{"id":"f","code":"sv15","metro":{"code":"sv"}}]}""")
            .Respond(HttpStatusCode.OK, """{"operating_systems":[{"slug":"ubuntu_20_04","provisionable_on":["c3.small.x86"]}]}""")
            .Respond(HttpStatusCode.OK, """{"ssh_keys":[{"id":"k","label":"l","key":"ssh-ed25519 A","entity":{"href":"/projects/p"}}]}""")
            .Respond(HttpStatusCode.OK, """{"ssh_keys":[]}""")
            .Respond(HttpStatusCode.OK, """{"events":[{"id":"e","type":"provisioning.101"}],"meta":{"current_page":1,"last_page":1}}""")
            .Respond(HttpStatusCode.OK, """{"hardware_reservations":[{"id":"hr","provisionable":true,"plan":{"slug":"c3.small.x86"},"facility":"sv15"}],"meta":{"next":null}}""")
            .Respond(HttpStatusCode.OK, """{"projects":[{"id":"p","name":"n"}],"meta":{"current_page":1,"last_page":1}}""");

        Assert.Equal("sv", Assert.Single(await t.Client.GetMetrosAsync()).Code);
        Assert.Equal("sv", Assert.Single(await t.Client.GetFacilitiesAsync()).Metro!.Code);
        Assert.Equal("c3.small.x86", Assert.Single(Assert.Single(await t.Client.GetOperatingSystemsAsync()).ProvisionableOn));
        Assert.Equal("l", Assert.Single(await t.Client.ListProjectSshKeysAsync(P)).Label);
        Assert.Empty(await t.Client.ListUserSshKeysAsync());
        Assert.Equal("provisioning.101", Assert.Single(await t.Client.ListDeviceEventsAsync("d1")).Type);
        var reservation = Assert.Single(await t.Client.ListHardwareReservationsAsync(P));
        Assert.Equal(("c3.small.x86", "sv15"), (reservation.Plan!.Slug, reservation.Facility!.Code));
        Assert.Equal("n", Assert.Single(await t.Client.ListProjectsAsync()).Name);

        Assert.Equal(
            ["/metal/v1/locations/metros", "/metal/v1/facilities", "/metal/v1/operating-systems", $"/metal/v1/projects/{P}/ssh-keys", "/metal/v1/ssh-keys",
             "/metal/v1/devices/d1/events", $"/metal/v1/projects/{P}/hardware-reservations", "/metal/v1/projects"],
            t.Handler.Requests.Select(r => r.Uri.AbsolutePath));
    }
}
