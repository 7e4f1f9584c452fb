namespace PacketCluster.Engine.Metal;

/// <summary>A user or project SSH key (<c>GET /ssh-keys</c>, <c>GET /projects/{id}/ssh-keys</c>). <see cref="Key"/> is the public key.</summary>
public sealed record SshKey
{
    public string? Id { get; init; }
    public string? Label { get; init; }
    public string? Key { get; init; }
    public string? Fingerprint { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public DateTimeOffset? CreatedAt { get; init; }
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>The owning user or project (2016 bodies called it "owner").</summary>
    public ResourceLink? Entity { get; init; }

    public string? Href { get; init; }
}
