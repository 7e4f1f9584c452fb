using System.Text.Json.Serialization;

namespace PacketCluster.Engine.Metal;

/// <summary>
/// What <c>/ips/{id}</c> can name: an <see cref="IpAssignment"/> (an address on a device) or an <see cref="IpReservation"/>
/// (a block held by the project). Fields both share.
/// </summary>
public abstract record PacketIpAddress
{
    public string? Id { get; init; }
    public string? Address { get; init; }

    /// <summary>4 or 6.</summary>
    public int AddressFamily { get; init; }

    public int? Cidr { get; init; }
    public string? Netmask { get; init; }
    public string? Network { get; init; }
    public string? Gateway { get; init; }
    public bool Public { get; init; }

    /// <summary>True for the addresses a device got at creation; false for assigned elastic IPs.</summary>
    public bool Management { get; init; }

    public bool? Manageable { get; init; }
    public bool? Enabled { get; init; }
    public bool? GlobalIp { get; init; }

    [JsonConverter(typeof(CodeOrObjectConverter<Metro>))]
    public Metro? Metro { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }
    public string? Href { get; init; }
}
