using System.Reflection;
using PacketCluster.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PacketCluster.Engine.Bootstrap;

/// <summary>
/// The machine configs: which userdata serves which image and Kubernetes versions. Same schema as the seed's
/// machine_configs.yaml (<c>items[].machineParams[]{image, versions{kubelet, controlPlane}, containerRuntime}</c> and
/// <c>items[].userdata</c>) and the same exact-match rule, so a seed ConfigMap keeps working.
/// </summary>
public sealed class MachineConfigCatalogue
{
    public const string CloudConfigFormat = "cloud-config";
    public const string ShellFormat = "shell";
    public const string InvalidErrorId = "InvalidMachineConfigs";
    public const string ShippedResourceName = "PacketCluster.Engine.Resources.machine_configs.yaml";

    private readonly IReadOnlyList<Item> _items;

    private MachineConfigCatalogue(IReadOnlyList<Item> items, string sourceName)
    {
        _items = items;
        SourceName = sourceName;
    }

    /// <summary>A file path, "ConfigMap ns/name" or "shipped": used in messages.</summary>
    public string SourceName { get; }

    /// <summary>Every parameter set, in file order. Fresh objects: changing them does not change the catalogue.</summary>
    public IReadOnlyList<MachineConfigInfo> Entries => _items.SelectMany(i => i.Params.Select(p => p.ToInfo(i.Format))).ToList();

    /// <summary>The catalogue embedded in the engine (Resources/machine_configs.yaml).</summary>
    public static MachineConfigCatalogue LoadShipped()
    {
        using var stream = typeof(MachineConfigCatalogue).Assembly.GetManifestResourceStream(ShippedResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ShippedResourceName} is missing from {typeof(MachineConfigCatalogue).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd(), "shipped machine_configs.yaml");
    }

    /// <summary>Parses and checks a catalogue; every problem is reported at once, with its line.</summary>
    /// <exception cref="PacketClusterException">ErrorId <c>InvalidMachineConfigs</c>, kind InvalidData.</exception>
    public static MachineConfigCatalogue Parse(string yaml, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentException.ThrowIfNullOrEmpty(sourceName);

        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw Invalid(sourceName, [((int)e.Start.Line, "not valid YAML: " + YamlErrors.Describe(e))], e);
        }

        var problems = new List<(int Line, string Problem)>();
        var items = new List<Item>();
        if (stream.Documents.Count != 1)
        {
            problems.Add((1, stream.Documents.Count == 0 ? "the file is empty" : "expected one YAML document"));
            throw Invalid(sourceName, problems);
        }
        var root = stream.Documents[0].RootNode;
        if (root is not YamlMappingNode rootMap)
        {
            throw Invalid(sourceName, [(Line(root), "expected a mapping with 'items'")]);
        }
        CheckKeys(rootMap, ["items"], "the top level", problems);
        var itemsNode = Get(rootMap, "items");
        if (itemsNode is not YamlSequenceNode itemSeq)
        {
            problems.Add((itemsNode is null ? Line(rootMap) : Line(itemsNode), "'items' must be a list"));
            throw Invalid(sourceName, problems);
        }

        foreach (var itemNode in itemSeq.Children)
        {
            if (ParseItem(itemNode, problems) is { } item)
            {
                items.Add(item);
            }
        }
        if (problems.Count > 0)
        {
            throw Invalid(sourceName, problems);
        }
        return new MachineConfigCatalogue(items, sourceName);
    }

    /// <summary>
    /// The seed's exact-match rule: the image and both versions must be equal; a worker (no control-plane version)
    /// matches only entries without one. Exactly one entry must match.
    /// </summary>
    /// <exception cref="MachineConfigNotFoundException">None (<c>MachineConfigNotFound</c>) or several (<c>AmbiguousMachineConfig</c>) match.</exception>
    public MachineConfig Find(string image, string kubelet, string? controlPlane)
    {
        if (string.IsNullOrWhiteSpace(image) || string.IsNullOrWhiteSpace(kubelet))
        {
            throw new PacketClusterException("InvalidMachineConfigQuery", ErrorKind.InvalidArgument,
                "A machine-config lookup needs an image (the machine's OS) and a kubelet version.",
                "Give both an image (operating system) and a Kubernetes version.", image);
        }
        var cp = string.IsNullOrEmpty(controlPlane) ? null : controlPlane;
        var requested = new MachineConfigInfo { Image = image, Kubelet = kubelet, ControlPlane = cp };

        var matches = (
            from item in _items
            from p in item.Params
            where p.Image == image && p.Kubelet == kubelet && p.ControlPlane == cp
            select (item, p)).ToList();

        if (matches.Count == 1)
        {
            var (item, p) = matches[0];
            return new MachineConfig(p.ToInfo(item.Format), item.Userdata, SourceName, p.Line);
        }

        var wanted = Describe(requested);
        if (matches.Count > 1)
        {
            var lines = string.Join(", ", matches.Select(m => m.p.Line));
            throw new MachineConfigNotFoundException(MachineConfigNotFoundException.AmbiguousErrorId, ErrorKind.InvalidData,
                $"{matches.Count} machine configs in {SourceName} match {wanted} (lines {lines}); exactly one must match. Remove the duplicates.",
                "Remove the duplicate machine-config entries so exactly one matches.",
                requested, matches.Select(m => m.p.ToInfo(m.item.Format)).ToList());
        }

        IReadOnlyList<MachineConfigInfo> forImage = Entries.Where(e => e.Image == image).ToList();
        string available;
        var advice = "Choose an operating system and Kubernetes version that Get-PacketMachineConfig lists, or add a machine-config entry for them.";
        if (forImage.Count > 0)
        {
            // What users ask next: which images have this version, and which versions this image has near it.
            var role = Entries.Where(e => e.ControlPlane is null == (cp is null));
            var imagesWithIt = role.Where(e => e.Kubelet == kubelet && (cp is null || e.ControlPlane == cp)).Select(e => e.Image).Distinct().ToList();
            var closest = ClosestVersions(forImage.Where(e => e.ControlPlane is null == (cp is null)).Select(e => e.Kubelet), kubelet, 3);
            var hints = new List<string>();
            if (imagesWithIt.Count > 0) hints.Add($"Kubernetes {kubelet} is available on {string.Join(", ", imagesWithIt)}.");
            if (closest.Count > 0) hints.Add($"The closest versions for {image}: {string.Join(", ", closest)}.");
            available = string.Join(" ", hints.Append($"Available for {image}: {string.Join("; ", forImage.Select(DescribeVersions))}."));
            if (imagesWithIt.Count > 0 || closest.Count > 0)
                advice = string.Join(", or ", new[]
                {
                    imagesWithIt.Count > 0 ? $"use an operating system that has Kubernetes {kubelet} ({string.Join(", ", imagesWithIt)})" : null,
                    closest.Count > 0 ? $"a version {image} has ({closest[0]})" : null,
                }.OfType<string>()) is var choice && choice.Length > 0 ? char.ToUpperInvariant(choice[0]) + choice[1..] + "." : advice;
        }
        else
        {
            forImage = Entries;
            available = forImage.Count == 0
                ? "The catalogue is empty."
                : $"Image {image} is not in the catalogue. Available: {string.Join("; ", forImage.Select(Describe))}.";
        }
        throw new MachineConfigNotFoundException(MachineConfigNotFoundException.NotFoundErrorId, ErrorKind.ObjectNotFound,
            $"No machine config in {SourceName} matches {wanted} exactly (no prefix or semver matching). {available} " +
            "Choose one of these versions, or add an entry to the machine configs.",
            advice, requested, forImage);
    }

    /// <summary>Up to <paramref name="count"/> distinct versions nearest <paramref name="wanted"/> (same major first, then by minor and patch distance).</summary>
    internal static IReadOnlyList<string> ClosestVersions(IEnumerable<string> versions, string wanted, int count)
    {
        if (!System.Version.TryParse(wanted, out var target)) return versions.Distinct().Take(count).ToList();
        return versions.Distinct()
            .Select(v => (Text: v, Parsed: System.Version.TryParse(v, out var parsed) ? parsed : null))
            .Where(v => v.Parsed is not null)
            .OrderBy(v => Math.Abs(v.Parsed!.Major - target.Major))
            .ThenBy(v => Math.Abs(v.Parsed!.Minor - target.Minor))
            .ThenBy(v => Math.Abs(Math.Max(v.Parsed!.Build, 0) - Math.Max(target.Build, 0)))
            .ThenByDescending(v => v.Parsed)
            .Take(count).Select(v => v.Text).ToList();
    }

    /// <summary>The catalogue as machine_configs.yaml (comments are not kept); <see cref="Parse"/> reads it back unchanged.</summary>
    public string ToYaml()
    {
        var items = new YamlSequenceNode();
        foreach (var item in _items)
        {
            var parameters = new YamlSequenceNode();
            foreach (var p in item.Params)
            {
                var versions = new YamlMappingNode { { "kubelet", YamlNodeWriter.Str(p.Kubelet) } };
                if (p.ControlPlane is not null)
                {
                    versions.Add("controlPlane", YamlNodeWriter.Str(p.ControlPlane));
                }
                var node = new YamlMappingNode { { "image", YamlNodeWriter.Str(p.Image) }, { "versions", versions } };
                if (p.ContainerRuntime is not null)
                {
                    node.Add("containerRuntime", YamlNodeWriter.Str(p.ContainerRuntime));
                }
                parameters.Add(node);
            }
            items.Add(new YamlMappingNode { { "machineParams", parameters }, { "userdata", YamlNodeWriter.Str(item.Userdata) } });
        }
        return YamlNodeWriter.Write(new YamlMappingNode { { "items", items } });
    }

    private static string Describe(MachineConfigInfo i) => $"{i.Image} {DescribeVersions(i)}";

    private static string DescribeVersions(MachineConfigInfo i) =>
        i.ControlPlane is null ? $"kubelet {i.Kubelet} (worker)" : $"kubelet {i.Kubelet} controlPlane {i.ControlPlane} (control plane)";

    private static Item? ParseItem(YamlNode node, List<(int, string)> problems)
    {
        if (node is not YamlMappingNode map)
        {
            problems.Add((Line(node), "each item must be a mapping with 'machineParams' and 'userdata'"));
            return null;
        }
        CheckKeys(map, ["machineParams", "userdata"], "an item", problems);

        string? userdata = null;
        var userdataNode = Get(map, "userdata");
        if (userdataNode is YamlScalarNode { Value: { Length: > 0 } text })
        {
            userdata = text;
        }
        else
        {
            problems.Add((userdataNode is null ? Line(map) : Line(userdataNode), "the item has no 'userdata' text"));
        }

        var parameters = new List<Params>();
        var paramsNode = Get(map, "machineParams");
        if (paramsNode is YamlSequenceNode { Children.Count: > 0 } paramSeq)
        {
            foreach (var p in paramSeq.Children)
            {
                if (ParseParams(p, problems) is { } parsed)
                {
                    parameters.Add(parsed);
                }
            }
        }
        else
        {
            problems.Add((paramsNode is null ? Line(map) : Line(paramsNode), "'machineParams' must be a non-empty list"));
        }

        if (userdata is null)
        {
            return null;
        }
        var format = userdata.StartsWith(CloudConfigTemplate.Header, StringComparison.Ordinal) ? CloudConfigFormat : ShellFormat;
        if (format == CloudConfigFormat)
        {
            // The literal block's text starts on the line after "userdata: |".
            var offset = Line(userdataNode!);
            foreach (var (line, problem) in CloudConfigTemplate.Check(userdata))
            {
                problems.Add((offset + line, problem));
            }
        }
        return new Item(parameters, userdata, format);
    }

    private static Params? ParseParams(YamlNode node, List<(int, string)> problems)
    {
        if (node is not YamlMappingNode map)
        {
            problems.Add((Line(node), "each machineParams entry must be a mapping with 'image' and 'versions'"));
            return null;
        }
        CheckKeys(map, ["image", "versions", "containerRuntime"], "a machineParams entry", problems);
        var image = Scalar(map, "image", problems, required: true);
        var runtime = Scalar(map, "containerRuntime", problems, required: false);

        string? kubelet = null, controlPlane = null;
        var versionsNode = Get(map, "versions");
        if (versionsNode is YamlMappingNode versions)
        {
            CheckKeys(versions, ["kubelet", "controlPlane"], "'versions'", problems);
            kubelet = Scalar(versions, "kubelet", problems, required: true);
            controlPlane = Scalar(versions, "controlPlane", problems, required: false);
        }
        else
        {
            problems.Add((versionsNode is null ? Line(map) : Line(versionsNode), "'versions' must be a mapping with 'kubelet' (and 'controlPlane' for a control plane)"));
        }
        if (image is null || kubelet is null)
        {
            return null;
        }
        return new Params(image, kubelet, string.IsNullOrEmpty(controlPlane) ? null : controlPlane, string.IsNullOrEmpty(runtime) ? null : runtime, Line(map));
    }

    // Keys are matched case-insensitively like the seed's JSON-tag decoding; an unknown key is an error because a
    // typo such as "controlplane:" would otherwise silently turn a control-plane entry into a worker entry.
    private static void CheckKeys(YamlMappingNode map, string[] known, string where, List<(int, string)> problems)
    {
        foreach (var key in map.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value ?? key.ToString();
            if (!known.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add((Line(key), $"unknown key '{name}' in {where} (expected {string.Join(", ", known)})"));
            }
        }
    }

    private static YamlNode? Get(YamlMappingNode map, string key) =>
        map.Children.FirstOrDefault(kv => string.Equals((kv.Key as YamlScalarNode)?.Value, key, StringComparison.OrdinalIgnoreCase)).Value;

    private static string? Scalar(YamlMappingNode map, string key, List<(int, string)> problems, bool required)
    {
        var node = Get(map, key);
        switch (node)
        {
            case YamlScalarNode { Value: { Length: > 0 } value }:
                return value;
            case null or YamlScalarNode when !required:
                return null;
            case null:
                problems.Add((Line(map), $"'{key}' is missing"));
                return null;
            default:
                problems.Add((Line(node), $"'{key}' must be a non-empty string"));
                return null;
        }
    }

    private static int Line(YamlNode node) => (int)node.Start.Line;

    private static PacketClusterException Invalid(string sourceName, IReadOnlyList<(int Line, string Problem)> problems, Exception? inner = null)
    {
        var lines = problems.OrderBy(p => p.Line).Select(p => $"  line {p.Line}: {p.Problem}");
        return new PacketClusterException(InvalidErrorId, ErrorKind.InvalidData,
            $"The machine configs in {sourceName} are not valid:\n{string.Join("\n", lines)}",
            "Fix each line listed in the message; Get-PacketMachineConfig shows valid entries.", sourceName, inner);
    }

    private sealed record Item(IReadOnlyList<Params> Params, string Userdata, string Format);

    private sealed record Params(string Image, string Kubelet, string? ControlPlane, string? ContainerRuntime, int Line)
    {
        public MachineConfigInfo ToInfo(string format) => new()
        {
            Image = Image,
            Kubelet = Kubelet,
            ControlPlane = ControlPlane,
            ContainerRuntime = ContainerRuntime,
            Format = format,
        };
    }
}
