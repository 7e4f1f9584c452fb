namespace PacketCluster.Engine.Metal;

/// <summary>Which plans <see cref="PacketClient.GetPlansAsync"/> returns: all, or those offered in a metro or facility.</summary>
public sealed record PlanFilter
{
    /// <summary>Metro code or id; plans not listed in <c>available_in_metros</c> are left out.</summary>
    public string? Metro { get; init; }

    /// <summary>Facility code or id; plans not listed in <c>available_in</c> are left out.</summary>
    public string? Facility { get; init; }
}
