using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace PacketCluster.Engine.Api;

/// <summary>
/// Converts between YAML text and JSON trees. Going through JSON lets one set of System.Text.Json rules
/// (camelCase, case-insensitive keys as the seed's decoder had) serve YAML and JSON input alike.
/// </summary>
internal static class YamlJsonBridge
{
    /// <summary>Parses every document of a YAML (or JSON) stream. Empty documents are skipped.</summary>
    public static IReadOnlyList<SourceDocument> Parse(string text, string sourceName)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new PacketClusterException(
                "InvalidYaml", ErrorKind.InvalidData,
                $"{sourceName}: line {ex.Start.Line}, column {ex.Start.Column}: {InnermostMessage(ex)}. Fix the YAML syntax and try again.",
                sourceName, ex);
        }

        var documents = new List<SourceDocument>();
        for (var i = 0; i < stream.Documents.Count; i++)
        {
            var root = stream.Documents[i].RootNode;
            if (root is YamlScalarNode { Value: null or "" } || root is YamlScalarNode s && s.Tag.IsEmpty && s.Value == "~")
                continue;
            documents.Add(new SourceDocument(sourceName, i, (int)root.Start.Line, ToJson(root)));
        }
        return documents;
    }

    private static string InnermostMessage(Exception ex)
    {
        while (ex.InnerException is not null) ex = ex.InnerException;
        return ex.Message.TrimEnd('.');
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => ToJsonObject(map),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode scalar => ToJsonScalar(scalar),
        _ => throw new PacketClusterException("InvalidYaml", ErrorKind.InvalidData, $"line {node.Start.Line}: YAML aliases and anchors of this kind are not supported."),
    };

    private static JsonObject ToJsonObject(YamlMappingNode map)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in map.Children)
        {
            var name = (key as YamlScalarNode)?.Value
                ?? throw new PacketClusterException("InvalidYaml", ErrorKind.InvalidData, $"line {key.Start.Line}: mapping keys must be plain strings.");
            if (obj.ContainsKey(name))
                throw new PacketClusterException("InvalidYaml", ErrorKind.InvalidData, $"line {key.Start.Line}: duplicate key '{name}'.");
            obj[name] = ToJson(value);
        }
        return obj;
    }

    // YAML 1.2 core schema for plain scalars; quoted scalars are always strings. Numbers keep their
    // literal text (JsonNode.Parse) so a version such as 1.20 is not read back as 1.2.
    private static JsonNode? ToJsonScalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? string.Empty;
        if (scalar.Style is ScalarStyle.Plain && scalar.Tag.IsEmpty)
        {
            switch (value)
            {
                case "" or "~" or "null" or "Null" or "NULL": return null;
                case "true" or "True" or "TRUE": return JsonValue.Create(true);
                case "false" or "False" or "FALSE": return JsonValue.Create(false);
            }
            if (LooksLikeJsonNumber(value)) return JsonNode.Parse(value);
        }
        return JsonValue.Create(value);
    }

    private static bool LooksLikeJsonNumber(string value)
    {
        if (value.Length == 0 || value.Length > 30) return false;
        var i = value[0] == '-' ? 1 : 0;
        if (i >= value.Length || !char.IsAsciiDigit(value[i])) return false;
        if (value[i] == '0' && i + 1 < value.Length && char.IsAsciiDigit(value[i + 1])) return false; // 0644 is not a JSON number
        return double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            && value.All(c => char.IsAsciiDigit(c) || c is '-' or '+' or '.' or 'e' or 'E');
    }

    /// <summary>Writes JSON trees as a YAML stream, one document each, separated by ---.</summary>
    public static string ToYaml(IEnumerable<JsonNode?> documents)
    {
        var writer = new StringWriter { NewLine = "\n" };
        var emitter = new Emitter(writer, new EmitterSettings(2, int.MaxValue, false, 1024, false));
        emitter.Emit(new StreamStart());
        foreach (var doc in documents)
        {
            emitter.Emit(new DocumentStart(null, null, true));
            Emit(emitter, doc);
            emitter.Emit(new DocumentEnd(true));
        }
        emitter.Emit(new StreamEnd());
        return writer.ToString();
    }

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                emitter.Emit(new MappingStart());
                foreach (var (key, value) in obj)
                {
                    EmitString(emitter, key);
                    Emit(emitter, value);
                }
                emitter.Emit(new MappingEnd());
                break;
            case JsonArray array:
                emitter.Emit(new SequenceStart(null, null, false, SequenceStyle.Block));
                foreach (var item in array) Emit(emitter, item);
                emitter.Emit(new SequenceEnd());
                break;
            case null:
                emitter.Emit(new Scalar(null, null, "null", ScalarStyle.Plain, true, false));
                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                EmitString(emitter, text);
                break;
            default: // numbers and booleans: their JSON text is valid plain YAML
                emitter.Emit(new Scalar(null, null, node.ToJsonString(), ScalarStyle.Plain, true, false));
                break;
        }
    }

    private static void EmitString(IEmitter emitter, string text)
    {
        var style = text.Contains('\n') ? ScalarStyle.Literal
            : NeedsQuotes(text) ? ScalarStyle.DoubleQuoted
            : ScalarStyle.Any;
        // A literal block cannot keep trailing spaces on a line or a leading-space first line reliably.
        if (style == ScalarStyle.Literal && (text.Split('\n').Any(l => l.EndsWith(' ') || l.EndsWith('\t')) || text.StartsWith(' ')))
            style = ScalarStyle.DoubleQuoted;
        emitter.Emit(new Scalar(null, null, text, style, true, style != ScalarStyle.Any));
    }

    // Strings that a YAML reader would otherwise take for another type must be quoted.
    private static bool NeedsQuotes(string text) =>
        text.Length == 0
        || text is "~" or "null" or "Null" or "NULL" or "true" or "True" or "TRUE" or "false" or "False" or "FALSE"
            or "yes" or "no" or "on" or "off" or "Yes" or "No" or "On" or "Off" or "y" or "n" or "Y" or "N"
        || LooksLikeJsonNumber(text)
        || (text.Length > 0 && (char.IsAsciiDigit(text[0]) || text[0] is '.' or '+' or '-') && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
        || text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || text.StartsWith("0o", StringComparison.Ordinal);
}

/// <summary>One YAML document of a file, as JSON, with where it came from.</summary>
internal sealed record SourceDocument(string Source, int Index, int Line, JsonNode? Root)
{
    public string? ApiVersion => (Root as JsonObject)?["apiVersion"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    public string? Kind => (Root as JsonObject)?["kind"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    public string? Name => (Root as JsonObject)?["metadata"]?["name"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
    public string Describe() => $"{Kind ?? "<no kind>"}/{Name ?? "<no name>"}";
}
