namespace PacketCluster.Engine.Metal;

/// <summary>The reservation an assignment was carved from.</summary>
public sealed record IpParentBlock
{
    public string? Network { get; init; }
    public string? Netmask { get; init; }
    public int? Cidr { get; init; }
    public string? Href { get; init; }
}
