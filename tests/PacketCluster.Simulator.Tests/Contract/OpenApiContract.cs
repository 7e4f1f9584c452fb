using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using YamlDotNet.RepresentationModel;

namespace PacketCluster.Simulator.Tests.Contract;

/// <summary>
/// The official Metal OpenAPI 3.0 spec (vendored in tests/contract/metal-openapi) as JSON Schema 2020-12, for validating
/// response bodies. Every components/schemas/*.yaml becomes a <c>$defs</c> entry and file-relative <c>$ref</c>s
/// are rewritten to point at it; <c>nullable: true</c> becomes a type array (or an anyOf with null); OpenAPI-only
/// numeric formats (float, double, int32…) are dropped; date-time, date, uuid and ipv4 are validated.
/// </summary>
public sealed partial class OpenApiContract
{
    private static readonly Lazy<OpenApiContract> LazyShared = new(() => new OpenApiContract(FindSpecDirectory()));
    public static OpenApiContract Shared => LazyShared.Value;

    /// <summary>
    /// Formats we assert, as patterns: JsonSchema.Net 8 decides format assertion per dialect at build time, and a
    /// pattern is unambiguous in every dialect. Other formats (OpenAPI's float, double, int32…) are dropped.
    /// </summary>
    private static readonly Dictionary<string, string> CheckedFormats = new()
    {
        ["date-time"] = @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$",
        ["date"] = @"^\d{4}-\d{2}-\d{2}$",
        ["uuid"] = @"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        ["ipv4"] = @"^(\d{1,3}\.){3}\d{1,3}$",
    };
    private readonly string _root;
    private readonly JsonObject _defs = new();
    private readonly List<(string Template, string[] Segments, string File)> _paths = new();
    private readonly Dictionary<string, JsonSchema?> _cache = new();
    private readonly object _gate = new();

    public OpenApiContract(string specDirectory)
    {
        _root = specDirectory;
        foreach (var file in Directory.GetFiles(Path.Combine(_root, "components", "schemas"), "*.yaml"))
            _defs[Path.GetFileNameWithoutExtension(file)] = Convert(LoadYaml(file));
        var root = LoadYaml(Path.Combine(_root, "openapi3.yaml"))!.AsObject();
        foreach (var (template, node) in root["paths"]!.AsObject())
        {
            var reference = node!["$ref"]!.GetValue<string>();
            _paths.Add((template, template.Trim('/').Split('/'), Path.GetFullPath(Path.Combine(_root, reference))));
        }
    }

    /// <summary>
    /// The vendored spec copied beside the test binaries (tests/contract/metal-openapi, see its NOTICE), or the folder
    /// PACKETCLUSTER_METAL_OPENAPI names; nothing outside the repository is searched.
    /// </summary>
    public static string FindSpecDirectory()
    {
        if (Environment.GetEnvironmentVariable("PACKETCLUSTER_METAL_OPENAPI") is { Length: > 0 } configured) return configured;
        var beside = Path.Combine(AppContext.BaseDirectory, "metal-openapi");
        if (File.Exists(Path.Combine(beside, "openapi3.yaml"))) return beside;
        throw new DirectoryNotFoundException($"no metal-openapi/openapi3.yaml in {AppContext.BaseDirectory}: the build copies tests/contract/metal-openapi there (rebuild), or set PACKETCLUSTER_METAL_OPENAPI to a spec folder");
    }

    /// <summary>The spec's path template for a concrete path (without /metal/v1), literal segments preferred.</summary>
    public string? MatchTemplate(string path)
    {
        var segments = path.Trim('/').Split('/');
        return _paths
            .Where(p => p.Segments.Length == segments.Length && p.Segments.Zip(segments).All(z => z.First.StartsWith('{') || z.First == z.Second))
            .OrderByDescending(p => p.Segments.Count(s => !s.StartsWith('{')))
            .Select(p => p.Template).FirstOrDefault();
    }

    /// <summary>
    /// Validates a body against the schema the spec declares for template+method+status. Statuses the spec does not
    /// declare for that operation (429, 503 and other injected faults) are checked against Error.yaml.
    /// Returns the problems (empty = valid).
    /// </summary>
    public IReadOnlyList<string> Validate(string template, string method, int status, string body)
    {
        var schema = SchemaFor(template, method.ToLowerInvariant(), status);
        if (schema is null) return [$"{method} {template} {status}: the spec declares no JSON body"];
        using var doc = JsonDocument.Parse(body);
        var result = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        if (result.IsValid) return [];
        return (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{method} {template} {status}: {d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}"))
            .DefaultIfEmpty($"{method} {template} {status}: invalid").ToList();
    }

    /// <summary>
    /// Validates a request body against the schema the spec declares for the operation's requestBody (inline or a
    /// components/requestBodies reference). Returns the problems (empty = valid).
    /// </summary>
    public IReadOnlyList<string> ValidateRequest(string template, string method, string body)
    {
        var key = $"REQUEST {template} {method.ToLowerInvariant()}";
        JsonSchema? schema;
        lock (_gate)
        {
            if (!_cache.TryGetValue(key, out schema))
            {
                var node = RequestSchema(template, method.ToLowerInvariant());
                schema = node is null ? null : Build(node, key);
                _cache[key] = schema;
            }
        }
        if (schema is null) return [$"{method} {template}: the spec declares no request body"];
        using var doc = JsonDocument.Parse(body);
        var result = schema.Evaluate(doc.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        if (result.IsValid) return [];
        return (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{method} {template} request: {d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}"))
            .DefaultIfEmpty($"{method} {template} request: invalid").ToList();
    }

    private JsonNode? RequestSchema(string template, string method)
    {
        var file = _paths.FirstOrDefault(p => p.Template == template).File ?? throw new ArgumentException($"{template} is not in the spec");
        var requestBody = LoadYaml(file)?[method]?["requestBody"];
        if (requestBody?["$ref"] is JsonValue reference)
            requestBody = LoadYaml(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, reference.GetValue<string>())));
        var schema = requestBody?["content"]?["application/json"]?["schema"];
        return schema is null ? null : Convert(schema);
    }

    private JsonSchema Build(JsonNode node, string key)
    {
        var document = node.DeepClone().AsObject();
        document["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        document["$defs"] = _defs.DeepClone();
        return JsonSchema.FromText(document.ToJsonString(), new BuildOptions { SchemaRegistry = new SchemaRegistry() },
            new Uri($"https://contract.packetcluster.test/{Uri.EscapeDataString(key)}"));
    }

    /// <summary>Whether the spec has this operation at all (the simulator also accepts PATCH where the spec only has PUT).</summary>
    public bool HasOperation(string template, string method)
    {
        var file = _paths.FirstOrDefault(p => p.Template == template).File;
        return file is not null && LoadYaml(file)?[method.ToLowerInvariant()] is not null;
    }

    public bool DeclaresBody(string template, string method, int status) => ResponseSchema(template, method.ToLowerInvariant(), status.ToString(CultureInfo.InvariantCulture)) is not null;

    private JsonSchema? SchemaFor(string template, string method, int status)
    {
        var key = $"{template} {method} {status}";
        lock (_gate)
        {
            if (_cache.TryGetValue(key, out var cached)) return cached;
            var node = ResponseSchema(template, method, status.ToString(CultureInfo.InvariantCulture));
            if (node is null && status >= 400) node = new JsonObject { ["$ref"] = "#/$defs/Error" };
            var schema = node is null ? null : Build(node, key);
            _cache[key] = schema;
            return schema;
        }
    }

    private JsonNode? ResponseSchema(string template, string method, string status)
    {
        var file = _paths.FirstOrDefault(p => p.Template == template).File ?? throw new ArgumentException($"{template} is not in the spec");
        var operation = LoadYaml(file)?[method];
        var schema = operation?["responses"]?[status]?["content"]?["application/json"]?["schema"];
        return schema is null ? null : Convert(schema);
    }

    /// <summary>OpenAPI 3.0 → JSON Schema 2020-12 (see the class summary).</summary>
    private static JsonNode? Convert(JsonNode? node)
    {
        switch (node)
        {
            case JsonArray array:
                return new JsonArray(array.Select(Convert).ToArray());
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (name, value) in obj)
                {
                    if (name == "$ref" && value is JsonValue v && v.TryGetValue<string>(out var reference))
                    {
                        var hash = reference.IndexOf('#');
                        var filePart = hash >= 0 ? reference[..hash] : reference;
                        var fragment = hash >= 0 ? reference[(hash + 1)..] : "";
                        result["$ref"] = $"#/$defs/{Path.GetFileNameWithoutExtension(filePart)}{fragment}";
                    }
                    else if (name == "format" && value is JsonValue f && f.TryGetValue<string>(out var format))
                    {
                        if (CheckedFormats.TryGetValue(format, out var pattern) && !obj.ContainsKey("pattern")) result["pattern"] = pattern;
                    }
                    else if (name is "nullable" or "example" or "discriminator" or "xml" or "externalDocs") { }
                    else if (name.StartsWith("x-", StringComparison.Ordinal)) { }
                    else if (name is "properties" or "patternProperties" && value is JsonObject props)
                        result[name] = new JsonObject(props.Select(p => KeyValuePair.Create(p.Key, Convert(p.Value))));
                    else result[name] = Convert(value);
                }
                if (obj["nullable"] is JsonValue n && n.TryGetValue<bool>(out var nullable) && nullable)
                {
                    if (result["type"] is JsonValue t && t.TryGetValue<string>(out var type))
                    {
                        result["type"] = new JsonArray(type, "null");
                        if (result["enum"] is JsonArray e) e.Add(null);
                    }
                    else return new JsonObject { ["anyOf"] = new JsonArray(result, new JsonObject { ["type"] = "null" }) };
                }
                return result;
            default:
                return node?.DeepClone();
        }
    }

    private readonly Dictionary<string, JsonNode?> _files = new();

    private JsonNode? LoadYaml(string file)
    {
        lock (_files)
        {
            if (_files.TryGetValue(file, out var cached)) return cached;
            var stream = new YamlStream();
            using (var reader = new StreamReader(file)) stream.Load(reader);
            var node = stream.Documents.Count == 0 ? null : ToJson(stream.Documents[0].RootNode);
            _files[file] = node;
            return node;
        }
    }

    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(kv => KeyValuePair.Create(((YamlScalarNode)kv.Key).Value!, ToJson(kv.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(ToJson).ToArray()),
        YamlScalarNode s when s.Style is YamlDotNet.Core.ScalarStyle.Plain => PlainScalar(s.Value ?? ""),
        YamlScalarNode s => JsonValue.Create(s.Value),
        _ => null,
    };

    private static JsonNode? PlainScalar(string text)
    {
        if (text is "null" or "~" or "") return null;
        if (text is "true" or "false") return JsonValue.Create(text == "true");
        if (IntegerPattern().IsMatch(text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
        return JsonValue.Create(text);
    }

    [GeneratedRegex(@"^-?[0-9]+$")]
    private static partial Regex IntegerPattern();
    [GeneratedRegex(@"^-?[0-9]+\.[0-9]+([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
