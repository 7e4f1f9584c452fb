namespace PacketCluster.Engine.Metal;

/// <summary>A server plan (<c>GET /plans</c>), e.g. slug "c3.small.x86".</summary>
public sealed record Plan : ICodeReference<Plan>
{
    public string? Id { get; init; }
    public string? Slug { get; init; }
    public string? Name { get; init; }
    public string? Description { get; init; }
    public string? Line { get; init; }
    public string? Class { get; init; }
    public string? Type { get; init; }
    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>on_demand and/or spot_market.</summary>
    public IReadOnlyList<string> DeploymentTypes { get; init; } = [];

    public PlanPrice? Pricing { get; init; }
    public IReadOnlyList<PlanLocation> AvailableIn { get; init; } = [];
    public IReadOnlyList<PlanLocation> AvailableInMetros { get; init; } = [];
    public bool? Legacy { get; init; }
    public string? Href { get; init; }

    /// <summary>Whether the (included) availability lists the metro, by code or id.</summary>
    public bool IsAvailableInMetro(string metro) => AvailableInMetros.Any(l => Matches(l, metro));

    /// <summary>Whether the (included) availability lists the facility, by code or id.</summary>
    public bool IsAvailableInFacility(string facility) => AvailableIn.Any(l => Matches(l, facility));

    /// <summary>Hourly price in the metro or facility: its own price if it has one, else the plan's.</summary>
    public double? HourlyPriceIn(string location) =>
        AvailableInMetros.Concat(AvailableIn).FirstOrDefault(l => Matches(l, location))?.Price?.Hour ?? Pricing?.Hour;

    private static bool Matches(PlanLocation location, string codeOrId) =>
        string.Equals(location.Code, codeOrId, StringComparison.OrdinalIgnoreCase)
        || string.Equals(location.Id, codeOrId, StringComparison.OrdinalIgnoreCase);

    static Plan ICodeReference<Plan>.FromCode(string code) => new() { Slug = code };
}
