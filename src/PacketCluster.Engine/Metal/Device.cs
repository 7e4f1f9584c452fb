using System.Text.Json;
using System.Text.Json.Serialization;

namespace PacketCluster.Engine.Metal;

/// <summary>
/// A server (<c>GET /devices/{id}</c>). <c>root_password</c> and <c>userdata</c> are deliberately not read: secrets the
/// engine never needs from a device record, so they can never leak through a record's ToString.
/// </summary>
public sealed record Device
{
    public string? Id { get; init; }
    public string? ShortId { get; init; }
    public string? Hostname { get; init; }
    public string? Description { get; init; }

    /// <summary>queued, provisioning, active, failed, inactive, powering_on, powering_off, reinstalling, deprovisioning or deleted.</summary>
    public string? State { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    // No Userdata: every device in a list carries its userdata (a control plane's holds the CA key), and the inventory
    // keeps each cluster's list; the engine reads one device's userdata on purpose (GetDeviceUserdataAsync) when needed.
    public JsonElement? Customdata { get; init; }

    [JsonConverter(typeof(CodeOrObjectConverter<CatalogueReference>))]
    public CatalogueReference? Plan { get; init; }

    [JsonConverter(typeof(CodeOrObjectConverter<CatalogueReference>))]
    public CatalogueReference? OperatingSystem { get; init; }

    [JsonConverter(typeof(CodeOrObjectConverter<Metro>))]
    public Metro? Metro { get; init; }

    [JsonConverter(typeof(CodeOrObjectConverter<Facility>))]
    public Facility? Facility { get; init; }

    public IReadOnlyList<IpAssignment> IpAddresses { get; init; } = [];

    /// <summary>Only while provisioning, e.g. 57.1428571428571.</summary>
    public double? ProvisioningPercentage { get; init; }

    public IReadOnlyList<DeviceEvent> ProvisioningEvents { get; init; } = [];
    public bool Locked { get; init; }
    public string? BillingCycle { get; init; }
    public bool? SpotInstance { get; init; }
    public double? SpotPriceMax { get; init; }

    /// <summary>Set when a spot device was outbid (two minutes' notice).</summary>
    public DateTimeOffset? TerminationTime { get; init; }

    public ResourceLink? HardwareReservation { get; init; }
    public ResourceLink? Project { get; init; }
    public ResourceLink? ProjectLite { get; init; }
    public string? Iqn { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public string? Href { get; init; }

    /// <summary>First management address of the family and visibility, as packngo's GetNetworkInfo and CAPP pick them.</summary>
    public string? ManagementAddress(int addressFamily, bool isPublic) =>
        IpAddresses.FirstOrDefault(ip => ip.Management && ip.AddressFamily == addressFamily && ip.Public == isPublic)?.Address;
}
