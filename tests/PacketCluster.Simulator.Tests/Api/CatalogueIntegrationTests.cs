using Xunit;

namespace PacketCluster.Simulator.Tests.Api;

public sealed class CatalogueIntegrationTests
{
    [Fact]
    public async Task MetrosFacilitiesOperatingSystemsAndHardwareReservations()
    {
        await using var sim = await TestSimulator.StartAsync();
        var metros = (await sim.GetAsync("locations/metros"))["metros"]!.AsArray();
        Assert.Contains(metros, m => m!["code"]!.GetValue<string>() == "sv");
        var facilities = (await sim.GetAsync("facilities"))["facilities"]!.AsArray();
        var ewr1 = facilities.Single(f => f!["code"]!.GetValue<string>() == "ewr1");
        Assert.Equal("ny", ewr1!["metro"]!["code"]!.GetValue<string>());
        var oses = (await sim.GetAsync("operating-systems"))["operating_systems"]!.AsArray();
        foreach (var slug in new[] { "ubuntu_18_04", "ubuntu_20_04", "ubuntu_22_04", "ubuntu_24_04", "debian_12", "custom_ipxe" })
            Assert.Contains(oses, o => o!["slug"]!.GetValue<string>() == slug);
        var hw = await sim.GetAsync($"projects/{sim.ProjectId}/hardware-reservations");
        Assert.Empty(hw["hardware_reservations"]!.AsArray());
        // The same API without the /metal/v1 prefix (Packet era).
        using var bare = new HttpClient(new Contract.ContractCheckingHandler()) { BaseAddress = sim.Host.RootUrl };
        bare.DefaultRequestHeaders.Add("X-Auth-Token", sim.Host.ApiKey);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await bare.GetAsync($"projects/{sim.ProjectId}")).StatusCode);
    }

    [Fact]
    public async Task PlansAreHrefOnlyUnlessIncludedAndCarryPrices()
    {
        await using var sim = await TestSimulator.StartAsync();
        var plain = (await sim.GetAsync("plans"))["plans"]!.AsArray();
        var c3 = plain.Single(p => p!["slug"]!.GetValue<string>() == "c3.small.x86")!;
        Assert.Equal(0.75, c3["pricing"]!["hour"]!.GetValue<double>());
        var firstIn = c3["available_in"]![0]!.AsObject();
        Assert.True(firstIn.ContainsKey("href") && firstIn.ContainsKey("price") && !firstIn.ContainsKey("code"));
        foreach (var slug in new[] { "c1.small.x86", "t1.small.x86", "c3.medium.x86", "m3.small.x86", "m3.large.x86", "s3.xlarge.x86" })
            Assert.Contains(plain, p => p!["slug"]!.GetValue<string>() == slug);

        var expanded = (await sim.GetAsync($"projects/{sim.ProjectId}/plans?include=available_in,available_in_metros"))["plans"]!.AsArray();
        var c3x = expanded.Single(p => p!["slug"]!.GetValue<string>() == "c3.small.x86")!;
        Assert.Contains(c3x["available_in"]!.AsArray(), f => f!["code"]!.GetValue<string>() == "ewr1" && f["price"]!["hour"]!.GetValue<double>() > 0);
        Assert.Contains(c3x["available_in_metros"]!.AsArray(), m => m!["code"]!.GetValue<string>() == "sv");

        var device = await sim.CreateDeviceAsync("x");
        var slim = await sim.GetAsync($"devices/{device["id"]}?exclude=plan,operating_system");
        Assert.Single(slim["plan"]!.AsObject());
        Assert.Single(slim["operating_system"]!.AsObject());
        var withProject = await sim.GetAsync($"devices/{device["id"]}?include=project");
        Assert.Equal("packetcluster-simulator", withProject["project"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task CapacityChecksPerFacilityAndMetro()
    {
        await using var sim = await TestSimulator.StartAsync();
        var byFacility = await sim.SendExpectAsync(HttpMethod.Post, "capacity", new { servers = new object[] { new { facility = "ewr1", plan = "c3.small.x86", quantity = 3 }, new { facility = "ewr1", plan = "t1.small.x86", quantity = "1" } } }, 200);
        Assert.True(byFacility!["servers"]![0]!["available"]!.GetValue<bool>());
        Assert.False(byFacility["servers"]![1]!["available"]!.GetValue<bool>());
        Assert.Equal("3", byFacility["servers"]![0]!["quantity"]!.GetValue<string>());
        var byMetro = await sim.SendExpectAsync(HttpMethod.Post, "capacity/metros", new { servers = new[] { new { metro = "sv", plan = "m3.large.x86", quantity = 31 }, new { metro = "sv", plan = "m3.large.x86", quantity = 30 } } }, 200);
        Assert.False(byMetro!["servers"]![0]!["available"]!.GetValue<bool>());
        Assert.True(byMetro["servers"]![1]!["available"]!.GetValue<bool>());
        await sim.SendExpectAsync(HttpMethod.Post, "capacity/metros", new { servers = new[] { new { metro = "xx", plan = "m3.large.x86", quantity = 1 } } }, 422);
    }
}
