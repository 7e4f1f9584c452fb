using System.Text.Json.Serialization;

namespace PacketCluster.Engine.Metal;

/// <summary>Reserved hardware (<c>GET /projects/{id}/hardware-reservations</c>); its id can go in <see cref="DeviceCreateRequest.HardwareReservationId"/>.</summary>
public sealed record HardwareReservation
{
    public string? Id { get; init; }
    public string? ShortId { get; init; }
    public bool? Provisionable { get; init; }
    public bool? Spare { get; init; }
    public bool? NeedOfService { get; init; }

    [JsonConverter(typeof(CodeOrObjectConverter<Plan>))]
    public Plan? Plan { get; init; }

    [JsonConverter(typeof(CodeOrObjectConverter<Facility>))]
    public Facility? Facility { get; init; }

    /// <summary>The device on it, often only a link.</summary>
    public ResourceLink? Device { get; init; }

    public ResourceLink? Project { get; init; }
    public string? SwitchUuid { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? TerminationTime { get; init; }
    public string? Href { get; init; }
}
