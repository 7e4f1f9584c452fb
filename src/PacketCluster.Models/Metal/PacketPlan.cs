namespace PacketCluster.Models.Metal;

/// <summary>A plan (machine type) with its hourly price and where it can be deployed.</summary>
public sealed class PacketPlan
{
    public string Id { get; set; } = string.Empty;
    public string Slug { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
    public string? Class { get; set; }
    public string? Line { get; set; }
    public string? Description { get; set; }
    /// <summary>Price per hour in USD: the price in the filtered location when one was given, else the list price.</summary>
    public decimal? PricePerHour { get; set; }
    public string[] Metros { get; set; } = Array.Empty<string>();
    public string[] Facilities { get; set; } = Array.Empty<string>();
    public string[] DeploymentTypes { get; set; } = Array.Empty<string>();
    public override string ToString() => Slug;
}
