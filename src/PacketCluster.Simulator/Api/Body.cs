using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace PacketCluster.Simulator.Api;

/// <summary>Lenient request-body reading: the real clients differ (packngo sends JSON bodies on DELETE, ints as strings…).</summary>
public static class Body
{
    /// <summary>
    /// Largest JSON body the API reads: room for the largest userdata (<see cref="MaxUserdataBytes"/>) several times
    /// over. Larger bodies are 413 before they are held in memory.
    /// </summary>
    public const int MaxBytes = 1024 * 1024;

    /// <summary>
    /// Largest userdata a device create or update accepts (422). The Metal API documents no limit (packet-api.md §7
    /// marks it UNCERTAIN); we chose 64 KiB — four times EC2's 16 KiB — which a PacketCluster control plane's
    /// userdata (all CAs and keys, about 20 KiB) fits with room. The engine's client refuses the same before sending.
    /// </summary>
    public const int MaxUserdataBytes = 64 * 1024;

    public static async Task<JsonObject> ReadAsync(HttpRequest request)
    {
        if (request.ContentLength > MaxBytes) throw ApiException.TooLarge(MaxBytes);
        var text = await ReadBoundedAsync(request, MaxBytes);
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

    /// <summary>Reads at most <paramref name="limit"/> bytes of a body (chunked bodies have no Content-Length); more is 413.</summary>
    public static async Task<string> ReadBoundedAsync(HttpRequest request, int limit)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + n > limit) throw ApiException.TooLarge(limit);
            buffer.Write(chunk, 0, n);
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public static string? String(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var s)) return s;
        if (node is JsonValue n && n.GetValueKind() is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False) return n.ToJsonString();
        throw ApiException.Unprocessable($"{name} must be a string");
    }

    /// <summary>A string and only a string: the API answers 422 for <c>hostname: 5</c> (the schema says string).</summary>
    public static string? StrictString(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        throw ApiException.Unprocessable($"{name} must be a string");
    }

    /// <summary>A JSON array of strings and only that (<c>tags: "notalist"</c> is 422, as the schema's type: array says).</summary>
    public static List<string>? StrictStrings(JsonObject body, string name)
    {
        var node = body[name];
        if (node is null) return null;
        if (node is JsonArray array)
            return array.Select(i => i is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw ApiException.Unprocessable($"{name} must be a list of strings")).ToList();
        throw ApiException.Unprocessable($"{name} must be a list of strings");
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
