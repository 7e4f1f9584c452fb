using System.Text.Json.Serialization;

namespace PacketCluster.Engine.Metal;

/// <summary>A facility (deprecated in favour of metros, still answered by <c>GET /facilities</c>), e.g. "ewr1".</summary>
public sealed record Facility : ICodeReference<Facility>
{
    public string? Id { get; init; }
    public string? Code { get; init; }
    public string? Name { get; init; }
    public IReadOnlyList<string> Features { get; init; } = [];

    [JsonConverter(typeof(CodeOrObjectConverter<Metro>))]
    public Metro? Metro { get; init; }

    public string? Href { get; init; }

    static Facility ICodeReference<Facility>.FromCode(string code) => new() { Code = code };
}
