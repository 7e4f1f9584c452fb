using System.Globalization;
using System.Text.Json.Nodes;
using PacketCluster.Simulator.Config;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace PacketCluster.Simulator.Catalogue;

/// <summary>
/// What can be bought where: metros, facilities, plans (price, availability per facility) and operating systems.
/// Data, not code (kwok): the default is the embedded <c>Resources/catalogue.yaml</c>; a file can replace it.
/// </summary>
public sealed class Catalogue
{
    public List<MetroEntry> Metros { get; set; } = new();
    public List<FacilityEntry> Facilities { get; set; } = new();
    public List<PlanEntry> Plans { get; set; } = new();
    public List<OperatingSystemEntry> OperatingSystems { get; set; } = new();

    public MetroEntry? FindMetro(string codeOrId) =>
        Metros.FirstOrDefault(m => string.Equals(m.Code, codeOrId, StringComparison.OrdinalIgnoreCase) || m.Id == codeOrId);
    public FacilityEntry? FindFacility(string codeOrId) =>
        Facilities.FirstOrDefault(f => string.Equals(f.Code, codeOrId, StringComparison.OrdinalIgnoreCase) || f.Id == codeOrId);
    public PlanEntry? FindPlan(string slugOrId) =>
        Plans.FirstOrDefault(p => string.Equals(p.Slug, slugOrId, StringComparison.OrdinalIgnoreCase) || p.Id == slugOrId);
    public OperatingSystemEntry? FindOs(string slugOrId) =>
        OperatingSystems.FirstOrDefault(o => string.Equals(o.Slug, slugOrId, StringComparison.OrdinalIgnoreCase) || o.Id == slugOrId);
    public IEnumerable<FacilityEntry> FacilitiesIn(MetroEntry metro) => Facilities.Where(f => f.Metro == metro.Code);

    private const string EmbeddedName = "PacketCluster.Simulator.Resources.catalogue.yaml";

    public static Catalogue LoadEmbedded()
    {
        using var stream = typeof(Catalogue).Assembly.GetManifestResourceStream(EmbeddedName)
            ?? throw new InvalidOperationException($"embedded resource {EmbeddedName} is missing");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "embedded catalogue");
    }

    public static Catalogue LoadFile(string path)
    {
        try { return Parse(File.ReadAllText(path), path); }
        catch (IOException e) { throw new SimulatorConfigException($"cannot read catalogue {path}: {e.Message}", e); }
    }

    public static Catalogue Parse(string yaml, string source)
    {
        Catalogue catalogue;
        try
        {
            catalogue = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
                .Deserialize<Catalogue>(yaml) ?? new Catalogue();
        }
        catch (YamlException e)
        {
            throw new SimulatorConfigException($"{source}: invalid catalogue at line {e.Start.Line}: {e.InnerException?.Message ?? e.Message}", e);
        }
        catalogue.Validate(source);
        return catalogue;
    }

    private void Validate(string source)
    {
        var problems = new List<string>();
        foreach (var f in Facilities.Where(f => FindMetro(f.Metro) is null))
            problems.Add($"facility {f.Code} names unknown metro {f.Metro}");
        foreach (var p in Plans)
            foreach (var code in p.Availability.Keys.Where(c => FindFacility(c) is null))
                problems.Add($"plan {p.Slug} is available in unknown facility {code}");
        foreach (var id in Metros.Select(m => m.Id).Concat(Facilities.Select(f => f.Id)).Concat(Plans.Select(p => p.Id)).Concat(OperatingSystems.Select(o => o.Id)))
            if (!Guid.TryParse(id, out _)) problems.Add($"id {id} is not a UUID");
        if (problems.Count > 0) throw new SimulatorConfigException($"{source}: " + string.Join("; ", problems));
    }

    /// <summary>YAML scalars arrive as strings; the API wants numbers and booleans where they look like them.</summary>
    internal static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        IDictionary<object, object> map => new JsonObject(map.Select(kv => KeyValuePair.Create(kv.Key.ToString()!, ToJson(kv.Value)))),
        IList<object> list => new JsonArray(list.Select(ToJson).ToArray()),
        string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) => JsonValue.Create(l),
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && s.Contains('.') && !s.EndsWith('.') => JsonValue.Create(d),
        string s when s is "true" or "false" => JsonValue.Create(s == "true"),
        string s => JsonValue.Create(s),
        _ => JsonValue.Create(value.ToString()),
    };
}

public sealed class MetroEntry
{
    public string Id { get; set; } = "";
    public string Code { get; set; } = "";
    public string Name { get; set; } = "";
    public string Country { get; set; } = "";
}

public sealed class FacilityEntry
{
    public string Id { get; set; } = "";
    public string Code { get; set; } = "";
    public string Name { get; set; } = "";
    public string Metro { get; set; } = "";
    public List<string> Features { get; set; } = new();
}

public sealed class PlanEntry
{
    public string Id { get; set; } = "";
    public string Slug { get; set; } = "";
    public string Name { get; set; } = "";
    public string Class { get; set; } = "";
    public string Description { get; set; } = "";
    public string Line { get; set; } = "baremetal";
    public string Type { get; set; } = "standard";
    public bool Legacy { get; set; }
    public List<string> Categories { get; set; } = new();
    public List<string> DeploymentTypes { get; set; } = new() { "on_demand" };
    public double Price { get; set; }
    public Dictionary<object, object> Specs { get; set; } = new();
    /// <summary>Servers per facility code. Listed with 0: the plan exists there but has no capacity.</summary>
    public Dictionary<string, int> Availability { get; set; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Optional per-facility price overrides.</summary>
    public Dictionary<string, double> Prices { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public double PriceIn(string facilityCode) => Prices.TryGetValue(facilityCode, out var p) ? p : Price;
}

public sealed class OperatingSystemEntry
{
    public string Id { get; set; } = "";
    public string Slug { get; set; } = "";
    public string Name { get; set; } = "";
    public string Distro { get; set; } = "";
    public string Version { get; set; } = "";
    public List<string> ProvisionableOn { get; set; } = new();
}
