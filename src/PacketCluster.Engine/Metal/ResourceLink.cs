namespace PacketCluster.Engine.Metal;

/// <summary>A reference the API collapsed to its href (anything not included, e.g. <c>"project":{"href":"/metal/v1/projects/…"}</c>).</summary>
public sealed record ResourceLink
{
    public string? Href { get; init; }

    /// <summary>Last path segment of <see cref="Href"/>: the id for ordinary links, "#74550b01" style anchors stripped of '#'.</summary>
    public string? Id => Href is null ? null : Href.TrimEnd('/').Split('/')[^1].TrimStart('#');
}
