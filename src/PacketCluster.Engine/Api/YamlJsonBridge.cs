using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace PacketCluster.Engine.Api;

/// <summary>
/// Converts between YAML text and JSON trees. Going through JSON lets one set of System.Text.Json rules
/// (camelCase, case-insensitive keys as the seed's decoder had) serve YAML and JSON input alike.
/// </summary>
internal static class YamlJsonBridge
{
    /// <summary>Deeper nesting than any cluster definition or Kubernetes object needs; the walk below recurses once per level.</summary>
    public const int MaxDepth = 64;

    /// <summary>
    /// Parses every document of a YAML (or JSON) stream. Empty documents are skipped. Aliases are refused
    /// (<c>YamlAliasesNotAllowed</c>): an alias-expansion bomb of a few hundred bytes grows to gigabytes as JSON, and
    /// nothing we read needs them. Every failure — the parser's own included — is <c>InvalidYaml</c> with the file,
    /// line and column.
    /// </summary>
    public static IReadOnlyList<SourceDocument> Parse(string text, string sourceName)
    {
        var reader = new EventReader(new Parser(new StringReader(text)), sourceName);
        var documents = new List<SourceDocument>();
        try
        {
            reader.Expect<StreamStart>();
            for (var index = 0; !reader.TryConsume<StreamEnd>(); index++)
            {
                reader.Expect<DocumentStart>();
                var line = reader.Line;
                var empty = reader.Peek is Scalar { Value: "" or "~", Style: ScalarStyle.Plain, Tag.IsEmpty: true };
                var root = reader.ReadNode(depth: 0);
                reader.Expect<DocumentEnd>();
                if (!empty) documents.Add(new SourceDocument(sourceName, index, line, root));
            }
        }
        catch (YamlException ex)
        {
            throw InvalidYaml(sourceName, (int)ex.Start.Line, (int)ex.Start.Column, InnermostMessage(ex), ex);
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's parser throws this for some unclosed flow collections; where it stopped is the best position there is.
            throw InvalidYaml(sourceName, reader.Line, reader.Column, "the YAML ends inside an unclosed [ ] or { } collection, or a collection is not closed where it should be", ex);
        }
        return documents;
    }

    private static PacketClusterException InvalidYaml(string source, int line, int column, string message, Exception? inner = null) =>
        new("InvalidYaml", ErrorKind.InvalidData, $"{source}: line {line}, column {column}: {message}. Fix the YAML syntax and try again.",
            "Fix the YAML at the line and column given (indentation, quotes, colons), then try again.", source, inner);

    private static string InnermostMessage(Exception ex)
    {
        var message = ex is YamlException yaml ? Bootstrap.YamlErrors.Describe(yaml) : ex.Message;
        while (ex.InnerException is not null) { ex = ex.InnerException; message = ex.Message; }
        return message.TrimEnd('.');
    }

    /// <summary>Walks parser events into JSON, remembering the last position for messages.</summary>
    private sealed class EventReader(IParser parser, string source)
    {
        private Mark _mark = Mark.Empty;

        public int Line => (int)(parser.Current?.Start ?? _mark).Line;
        public int Column => (int)(parser.Current?.Start ?? _mark).Column;
        public ParsingEvent? Peek => Current();

        private ParsingEvent? Current()
        {
            if (parser.Current is null) parser.MoveNext();
            if (parser.Current is { } current) _mark = current.Start;
            return parser.Current;
        }

        private ParsingEvent Next()
        {
            var current = Current() ?? throw InvalidYaml(source, (int)_mark.Line, (int)_mark.Column, "unexpected end of the YAML");
            parser.MoveNext();
            return current;
        }

        public void Expect<T>() where T : ParsingEvent
        {
            var next = Next();
            if (next is not T) throw InvalidYaml(source, (int)next.Start.Line, (int)next.Start.Column, $"expected {typeof(T).Name}, found {next.GetType().Name}");
        }

        public bool TryConsume<T>() where T : ParsingEvent
        {
            if (Current() is not T) return false;
            parser.MoveNext();
            return true;
        }

        public JsonNode? ReadNode(int depth)
        {
            var next = Next();
            if (depth > MaxDepth)
                throw InvalidYaml(source, (int)next.Start.Line, (int)next.Start.Column, $"nested more than {MaxDepth} levels deep");
            switch (next)
            {
                case AnchorAlias alias:
                    throw new PacketClusterException("YamlAliasesNotAllowed", ErrorKind.InvalidData,
                        $"{source}: line {alias.Start.Line}, column {alias.Start.Column}: YAML aliases (*{alias.Value}) are not accepted: each one copies its anchor, and a few nested ones grow a small file to gigabytes. Write the values out in full.",
                        "Replace each *alias with the values it stands for and remove the &anchor.",
                        source);
                case Scalar scalar:
                    return ToJsonScalar(scalar);
                case SequenceStart:
                    var array = new JsonArray();
                    while (!TryConsume<SequenceEnd>()) array.Add(ReadNode(depth + 1));
                    return array;
                case MappingStart:
                    var obj = new JsonObject();
                    while (!TryConsume<MappingEnd>())
                    {
                        var keyEvent = Current();
                        if (keyEvent is not Scalar key)
                            throw InvalidYaml(source, Line, Column, "mapping keys must be plain strings");
                        parser.MoveNext();
                        var name = key.Value;
                        if (obj.ContainsKey(name))
                            throw InvalidYaml(source, (int)key.Start.Line, (int)key.Start.Column, $"duplicate key '{name}'");
                        obj[name] = ReadNode(depth + 1);
                    }
                    return obj;
                default:
                    throw InvalidYaml(source, (int)next.Start.Line, (int)next.Start.Column, $"unexpected {next.GetType().Name}");
            }
        }
    }

    // YAML 1.2 core schema for plain scalars; quoted scalars are always strings. Numbers keep their
    // literal text (JsonNode.Parse) so a version such as 1.20 is not read back as 1.2.
    private static JsonNode? ToJsonScalar(Scalar scalar)
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
