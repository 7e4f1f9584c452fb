using System.Text.Json;
using System.Text.Json.Serialization;

namespace PacketCluster.Engine.Metal;

/// <summary>A block reserved by a project (<c>POST|GET /projects/{id}/ips</c>), e.g. the cluster's elastic IP.</summary>
public sealed record IpReservation : PacketIpAddress
{
    /// <summary>public_ipv4, global_ipv4, private_ipv4, public_ipv6 or vrf.</summary>
    public string? Type { get; init; }

    /// <summary>pending (over quota, awaiting approval), created or denied.</summary>
    public string? State { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    [JsonConverter(typeof(CodeOrObjectConverter<Facility>))]
    public Facility? Facility { get; init; }

    /// <summary>Where the block's addresses are assigned now.</summary>
    public IReadOnlyList<IpAssignment> Assignments { get; init; } = [];

    public string? Details { get; init; }
    public JsonElement? Customdata { get; init; }
    public ResourceLink? Project { get; init; }
}
