using System.Text.Json;

namespace PacketCluster.Engine.Controllers;

/// <summary>Deep copies and comparisons of status objects, so a scope patches status only when something changed.</summary>
internal static class StatusCopy
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static T Clone<T>(T value) where T : new() =>
        value is null ? new T() : JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, Options), Options) ?? new T();

    public static bool Same<T>(T? a, T? b) => JsonSerializer.Serialize(a, Options) == JsonSerializer.Serialize(b, Options);
}
