namespace PacketCluster.Models.Metal;

public sealed class PacketOperatingSystem
{
    public string Id { get; set; } = string.Empty;
    public string Slug { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
    public string? Distro { get; set; }
    public string? Version { get; set; }
    public string[] ProvisionableOn { get; set; } = Array.Empty<string>();
    public override string ToString() => Slug;
}
