namespace PacketCluster.Models.Metal;

public sealed class PacketProject
{
    public string Id { get; set; } = string.Empty;
    public string Name { get; set; } = string.Empty;
    public DateTimeOffset? CreatedAt { get; set; }
    public override string ToString() => Name;
}
