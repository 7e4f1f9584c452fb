using System.Net;
using System.Text.Json;
using PacketCluster.Engine.Metal;
using Xunit;

namespace PacketCluster.Engine.Tests.Metal;

/// <summary>Public API bodies (testdata/metal, see its README) read into the client's models.</summary>
public class MetalRecordedBodiesTests
{
    private static string Body(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "testdata", "metal", name));

    private static T Read<T>(string name) => JsonSerializer.Deserialize<T>(Body(name), MetalJson.Options)!;

    [Fact]
    public void Metro_item()
    {
        var metro = Read<Metro>("metro-item.json");

        Assert.Equal(("2991b022-b8c4-497e-8db7-5a407c3a209b", "sv", "Silicon Valley", "US"), (metro.Id, metro.Code, metro.Name, metro.Country));
    }

    [Fact]
    public void Device_ip()
    {
        var ip = Read<IpAssignment>("device-ip.json");

        Assert.Equal(("47e2d396", "147.75.1.3", 4, 31, "147.75.1.2"), (ip.Id, ip.Address, ip.AddressFamily, ip.Cidr, ip.Gateway));
        Assert.True(ip.Public && ip.Management);
        Assert.Equal("e781ae1b", ip.AssignedTo!.Id);
        Assert.Equal("/ips/47e2d396", ip.Href);
    }

    [Fact]
    public void Event()
    {
        var e = Read<DeviceEvent>("event.json");

        Assert.Equal(("a9b31a00", "provisioning.101", "Provisioning started", "Provisioning started"), (e.Id, e.Type, e.Body, e.Interpolated));
        Assert.Equal(new DateTimeOffset(2016, 7, 12, 19, 44, 19, TimeSpan.Zero), e.CreatedAt);
        Assert.Equal("74550b01", Assert.Single(e.Relationships).Id);
    }

    [Theory]
    [InlineData("post__capacity.json", null, "ewr1", 10, true)]
    [InlineData("post__capacity_metros.json", "sv", null, 10, true)]
    [InlineData("constructed-capacity-string-quantity.json", "da", null, 3, false)]
    public async Task Capacity_answers(string file, string? metro, string? facility, int quantity, bool available)
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.OK, Body(file));

        var result = await t.Client.CheckCapacityAsync(metro is null ? PacketLocation.Facility(facility!) : PacketLocation.Metro(metro), "baremetal_0", quantity);

        Assert.Equal((metro, facility, quantity, available), (result.Metro, result.Facility, result.Quantity, result.Available));
    }

    [Theory]
    [InlineData("error-invalid-facility.json", "ams1 is not a valid facility")]
    [InlineData("error-delete-provisioning.json", "Cannot delete a device while it is provisioning")]
    [InlineData("error-no-ssh-keys.json", "must have at least one SSH key or explicitly send no_ssh_keys option")]
    public async Task Error_bodies(string file, string text)
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.UnprocessableEntity, Body(file));

        var error = await Assert.ThrowsAsync<PacketApiValidationException>(() => t.Client.DeleteDeviceAsync("d1"));

        Assert.Equal(text, error.Message);
        Assert.Equal([text], error.ApiErrors);
    }

    [Fact]
    public void Packet_era_device_with_full_objects_href_only_project_and_null_tags()
    {
        var device = Read<Device>("constructed-device-packet-era.json");

        Assert.Equal(("e781ae1b", "provisioning", "hourly"), (device.ShortId, device.State, device.BillingCycle));
        Assert.Empty(device.Tags);
        Assert.Equal(("baremetal_0", "Type 0"), (device.Plan!.Slug, device.Plan.Name));
        Assert.Equal(("ewr1", "ubuntu_14_04"), (device.Facility!.Code, device.OperatingSystem!.Slug));
        Assert.Null(device.Metro);
        Assert.Equal("438659f0", device.Project!.Id);
        Assert.Equal(57.1428571428571, device.ProvisioningPercentage!.Value, 10);
        Assert.Equal(3, device.IpAddresses.Count);
        Assert.Equal("147.75.1.3", device.ManagementAddress(4, isPublic: true));
        Assert.Equal("10.100.1.1", device.ManagementAddress(4, isPublic: false));
        Assert.Equal("2604:1380:1:1::1", device.ManagementAddress(6, isPublic: true));
        Assert.Equal(25, device.IpAddresses[2].ParentBlock!.Cidr);
        Assert.Null(device.ProvisioningEvents[1].CreatedAt);
        Assert.DoesNotContain("do-not-read-me", device.ToString());
    }

    [Fact]
    public void Metal_era_device_with_bare_codes_and_string_price()
    {
        var device = Read<Device>("constructed-device-metal-era.json");

        Assert.Equal("c3.small.x86", device.Plan!.Slug);
        Assert.Equal("ubuntu_20_04", device.OperatingSystem!.Slug);
        Assert.Equal("sv15", device.Facility!.Code);
        Assert.Equal(("sv", "US"), (device.Metro!.Code, device.Metro.Country));
        Assert.Equal(0.45, device.SpotPriceMax);
        Assert.True(device.Locked);
        Assert.Equal("cluster1", device.Customdata!.Value.GetProperty("cluster").GetString());
        Assert.Equal("hr-1", device.HardwareReservation!.Id);
        Assert.Equal(2, device.Tags.Count);
        Assert.Equal("sv", device.IpAddresses[0].Metro!.Code);
        Assert.False(device.IpAddresses[1].Management);
        Assert.Equal("145.40.1.3", device.ManagementAddress(4, true));
    }
}
