using System.Text.Json.Nodes;

namespace PacketCluster.Simulator.Api;

/// <summary>An API error answer: status code plus the real service's <c>errors[]</c> texts (packet-api.md §5).</summary>
public sealed class ApiException(int status, params string[] errors) : Exception(string.Join(", ", errors))
{
    public int Status { get; } = status;
    public IReadOnlyList<string> Errors { get; } = errors;

    public static ApiException NotFound() => new(404, "Not found");
    public static ApiException Unprocessable(params string[] errors) => new(422, errors);
    public static ApiException TooLarge(long limit) => new(413, $"Request entity too large: the body may be at most {limit / 1024} KiB");

    public static JsonObject Body(IEnumerable<string> errors) => new() { ["errors"] = new JsonArray(errors.Select(e => (JsonNode?)e).ToArray()) };
}
