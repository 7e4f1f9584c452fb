namespace PacketCluster.Engine.Metal;

/// <summary>An operating system image (<c>GET /operating-systems</c>), e.g. slug "ubuntu_20_04".</summary>
public sealed record PacketOperatingSystem : ICodeReference<PacketOperatingSystem>
{
    public string? Id { get; init; }
    public string? Slug { get; init; }
    public string? Name { get; init; }
    public string? Distro { get; init; }
    public string? Version { get; init; }

    /// <summary>Plan slugs this OS installs on.</summary>
    public IReadOnlyList<string> ProvisionableOn { get; init; } = [];

    public bool? Licensed { get; init; }
    public string? Href { get; init; }

    static PacketOperatingSystem ICodeReference<PacketOperatingSystem>.FromCode(string code) => new() { Slug = code };
}
