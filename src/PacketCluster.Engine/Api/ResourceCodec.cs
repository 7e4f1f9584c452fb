using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace PacketCluster.Engine.Api;

/// <summary>
/// YAML/JSON codec for the Cluster API resources. Keys match case-insensitively, as the seed's decoder did
/// (`OS:` fills `os`); unknown keys are reported as warnings instead of being dropped in silence.
/// </summary>
public static class ResourceCodec
{
    internal static readonly JsonSerializerOptions Options = CreateOptions();

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions
        {
            PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
            PropertyNameCaseInsensitive = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.AllowReadingFromString,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver { Modifiers = { SkipComputedProperties } },
        };
        options.Converters.Add(new LenientStringConverter());
        options.Converters.Add(new LenientBooleanConverter());
        options.MakeReadOnly();
        return options;
    }

    // Read-only conveniences on the models (Name, IsControlPlane, …) are not part of the wire format.
    private static void SkipComputedProperties(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Object) return;
        for (var i = info.Properties.Count - 1; i >= 0; i--)
            if (info.Properties[i].Set is null) info.Properties.RemoveAt(i);
    }

    public static string ToJson(object value) => JsonSerializer.Serialize(value, value.GetType(), Options);

    public static JsonNode? ToNode(object value) => JsonSerializer.SerializeToNode(value, value.GetType(), Options);

    public static string ToYaml(object value) => ToYaml(new[] { value });

    public static string ToYaml(IEnumerable<object> documents) => YamlJsonBridge.ToYaml(documents.Select(ToNode));

    /// <summary>Deserializes one document. Unknown keys are appended to <paramref name="warnings"/>.</summary>
    internal static T Deserialize<T>(SourceDocument document, ICollection<string>? warnings = null) where T : class
    {
        if (document.Root is not JsonObject)
            throw new PacketClusterException("InvalidResource", ErrorKind.InvalidData,
                $"{document.Source}: document {document.Index + 1} (line {document.Line}) is not a mapping.",
                "Make each YAML document a mapping (key: value lines); compare with the files New-PacketClusterConfig writes.", document.Source);
        try
        {
            var value = document.Root.Deserialize<T>(Options)
                ?? throw new JsonException("the document is empty");
            if (warnings is not null)
                foreach (var path in UnknownKeys(document.Root, typeof(T), string.Empty))
                    warnings.Add($"{document.Source}: {document.Describe()}: unknown field '{path}' is ignored.");
            return value;
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) ? string.Empty : $" field '{ex.Path.TrimStart('$', '.')}'";
            throw new PacketClusterException("InvalidResource", ErrorKind.InvalidData,
                $"{document.Source}: {document.Describe()}:{field} has the wrong type or shape ({FirstSentence(ex.Message)}).",
                "Fix the field named in the message; compare with the files New-PacketClusterConfig writes.",
                document.Source, ex);
        }
    }

    public static T FromJson<T>(string json) where T : class =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException("empty document");

    /// <summary>Straight from a parsed element: a list's items need no text copy each.</summary>
    public static T FromJson<T>(JsonElement element) where T : class =>
        element.Deserialize<T>(Options) ?? throw new JsonException("empty document");

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end > 0 ? message[..end] : message.TrimEnd('.');
    }

    /// <summary>Lists JSON paths present in <paramref name="node"/> that the target type has no property for.</summary>
    internal static IEnumerable<string> UnknownKeys(JsonNode? node, Type type, string path)
    {
        var info = Options.GetTypeInfo(type);
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object when node is JsonObject obj:
                foreach (var (key, child) in obj)
                {
                    var property = info.Properties.FirstOrDefault(p => string.Equals(p.Name, key, StringComparison.OrdinalIgnoreCase));
                    var childPath = path.Length == 0 ? key : $"{path}.{key}";
                    if (property is null) { yield return childPath; continue; }
                    foreach (var nested in UnknownKeys(child, property.PropertyType, childPath)) yield return nested;
                }
                break;
            case JsonTypeInfoKind.Enumerable when node is JsonArray array && ElementTypeOf(type) is { } element:
                for (var i = 0; i < array.Count; i++)
                    foreach (var nested in UnknownKeys(array[i], element, $"{path}[{i}]")) yield return nested;
                break;
        }
    }

    private static Type? ElementTypeOf(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericArguments() is [var single] ? single
        : null;

    /// <summary>Reads numbers and booleans into string properties with their literal text (e.g. projectID: 1234).</summary>
    private sealed class LenientStringConverter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan.ToArray()),
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            JsonTokenType.Null => null,
            _ => throw new JsonException($"expected a string, found {reader.TokenType}"),
        };

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    /// <summary>Accepts "true"/"false" strings for booleans (a quoted YAML value).</summary>
    private sealed class LenientBooleanConverter : JsonConverter<bool>
    {
        public override bool Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            JsonTokenType.String when bool.TryParse(reader.GetString(), out var b) => b,
            _ => throw new JsonException($"expected true or false, found {reader.TokenType}"),
        };

        public override void Write(Utf8JsonWriter writer, bool value, JsonSerializerOptions options) => writer.WriteBooleanValue(value);
    }
}
