namespace PacketCluster.Models.Metal;

public sealed class PacketFacility
{
    public string Id { get; set; } = string.Empty;
    public string Code { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
    public string? Metro { get; set; }
    public string[] Features { get; set; } = Array.Empty<string>();
    public override string ToString() => Code;
}
