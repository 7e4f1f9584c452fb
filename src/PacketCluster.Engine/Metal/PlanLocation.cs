namespace PacketCluster.Engine.Metal;

/// <summary>
/// An entry of <c>available_in</c> (facilities) or <c>available_in_metros</c>. Without <c>include=available_in…</c>
/// the API sends only href and price; with it, the location's code, name and id as well.
/// </summary>
public sealed record PlanLocation
{
    public string? Href { get; init; }
    public string? Id { get; init; }
    public string? Code { get; init; }
    public string? Name { get; init; }

    /// <summary>Set only where the price differs from the plan's default.</summary>
    public PlanPrice? Price { get; init; }
}
