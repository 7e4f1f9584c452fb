using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace PacketCluster.Simulator.Api;

/// <summary>Lenient request-body reading: the real clients differ (packngo sends JSON bodies on DELETE, ints as strings…).</summary>
public static class Body
{
    public static async Task<JsonObject> ReadAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        if (string.IsNullOrWhiteSpace(text)) return new JsonObject();
        try
        {
            return JsonNode.Parse(text) as JsonObject ?? throw ApiException.Unprocessable("The request body must be a JSON object");
        }
        catch (JsonException)
        {
            throw ApiException.Unprocessable("The request body is not valid JSON");
        }
    }

    public static string? String(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        if (node is JsonValue n && n.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False) return n.ToJsonString();
        throw ApiException.Unprocessable($"{name} must be a string");
    }

    public static bool? Bool(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<bool>(out var b)) return b;
        if (node is JsonValue s && s.TryGetValue<string>(out var text) && bool.TryParse(text, out var parsed)) return parsed;
        throw ApiException.Unprocessable($"{name} must be a boolean");
    }

    public static long? Integer(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<long>(out var l)) return l;
        if (node is JsonValue d && d.TryGetValue<double>(out var dbl) && dbl == Math.Floor(dbl)) return (long)dbl;
        if (node is JsonValue s && s.TryGetValue<string>(out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)) return parsed;
        throw ApiException.Unprocessable($"{name} must be an integer");
    }

    public static double? Number(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<double>(out var d)) return d;
        if (node is JsonValue s && s.TryGetValue<string>(out var text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)) return parsed;
        throw ApiException.Unprocessable($"{name} must be a number");
    }

    /// <summary>A string array; a single string is accepted as a one-item list (facility: "ewr1" or ["ewr1","any"]).</summary>
    public static List<string>? Strings(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null) return null;
        if (node is JsonValue one && one.TryGetValue<string>(out var single)) return [single];
        if (node is JsonArray array)
            return array.Select(i => i is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw ApiException.Unprocessable($"{name} must be a list of strings")).ToList();
        throw ApiException.Unprocessable($"{name} must be a list of strings");
    }

    public static JsonObject? Object(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null) return null;
        return node as JsonObject ?? throw ApiException.Unprocessable($"{name} must be an object");
    }
}
