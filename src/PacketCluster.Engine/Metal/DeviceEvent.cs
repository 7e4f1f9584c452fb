namespace PacketCluster.Engine.Metal;

/// <summary>An event (<c>GET /devices/{id}/events</c>, or a device's <c>provisioning_events</c>), e.g. type "provisioning.104".</summary>
public sealed record DeviceEvent
{
    public string? Id { get; init; }
    public string? Type { get; init; }
    public string? Body { get; init; }
    public string? State { get; init; }
    public string? Interpolated { get; init; }

    /// <summary>Null for provisioning steps not reached yet.</summary>
    public DateTimeOffset? CreatedAt { get; init; }

    public IReadOnlyList<ResourceLink> Relationships { get; init; } = [];
    public string? Ip { get; init; }
    public string? Href { get; init; }
}
