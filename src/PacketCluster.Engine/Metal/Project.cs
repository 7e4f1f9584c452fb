namespace PacketCluster.Engine.Metal;

/// <summary>A project (<c>GET /projects/{id}</c>).</summary>
public sealed record Project
{
    public string? Id { get; init; }
    public string? Name { get; init; }
    public string? Href { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public ResourceLink? Organization { get; init; }
}
