namespace PacketCluster.Models.Metal;

public sealed class PacketMetro
{
    public string Id { get; set; } = string.Empty;
    public string Code { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
    public string? Country { get; set; }
    public override string ToString() => Code;
}
