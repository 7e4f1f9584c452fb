namespace PacketCluster.Engine.Metal;

/// <summary>A metro (<c>GET /locations/metros</c>), e.g. code "sv", name "Silicon Valley".</summary>
public sealed record Metro : ICodeReference<Metro>
{
    public string? Id { get; init; }
    public string? Code { get; init; }
    public string? Name { get; init; }
    public string? Country { get; init; }
    public string? Href { get; init; }

    static Metro ICodeReference<Metro>.FromCode(string code) => new() { Code = code };
}
