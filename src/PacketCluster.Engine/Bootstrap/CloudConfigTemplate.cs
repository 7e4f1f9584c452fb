using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PacketCluster.Engine.Bootstrap;

/// <summary>
/// A <c>#cloud-config</c> userdata template from the catalogue. Placeholders (<c>{{KUBERNETES_VERSION}}</c>, …) are
/// replaced inside parsed scalars, never in the raw text, so a value can't change the document's structure. The
/// renderer then appends its files to <c>write_files</c> and its commands to <c>runcmd</c>.
/// </summary>
internal static partial class CloudConfigTemplate
{
    public const string Header = "#cloud-config";

    public const string KubernetesVersion = "KUBERNETES_VERSION";
    public const string KubernetesMinor = "KUBERNETES_MINOR";
    public const string ContainerRuntimePackage = "CR_PACKAGE";
    public const string NodeName = "NODE_NAME";
    public const string ClusterName = "CLUSTER_NAME";
    public const string Role = "ROLE";

    public static readonly IReadOnlySet<string> Placeholders =
        new HashSet<string>(StringComparer.Ordinal) { KubernetesVersion, KubernetesMinor, ContainerRuntimePackage, NodeName, ClusterName, Role };

    [GeneratedRegex(@"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();

    /// <summary>Problems with a template, each with its line inside the userdata (1-based). Empty when it is usable.</summary>
    public static IReadOnlyList<(int Line, string Problem)> Check(string userdata)
    {
        var problems = new List<(int, string)>();
        YamlMappingNode root;
        try
        {
            root = Load(userdata);
        }
        catch (YamlException e)
        {
            problems.Add(((int)e.Start.Line, "the cloud-config is not valid YAML: " + YamlErrors.Describe(e)));
            return problems;
        }
        catch (FormatException e)
        {
            problems.Add((1, e.Message));
            return problems;
        }

        foreach (var key in new[] { "write_files", "runcmd" })
        {
            if (root.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is not YamlSequenceNode)
            {
                problems.Add(((int)node.Start.Line, $"'{key}' must be a list"));
            }
        }
        foreach (var scalar in root.AllNodes.OfType<YamlScalarNode>())
        {
            foreach (Match m in Placeholder().Matches(scalar.Value ?? string.Empty))
            {
                if (!Placeholders.Contains(m.Groups[1].Value))
                {
                    problems.Add(((int)scalar.Start.Line, $"unknown placeholder '{m.Value}' (known: {string.Join(", ", Placeholders.Order())})"));
                }
            }
        }
        return problems;
    }

    /// <summary>Fills the placeholders and appends files and commands; returns the complete userdata.</summary>
    public static string Render(string userdata, IReadOnlyDictionary<string, string> values, IEnumerable<YamlNode> files, IEnumerable<string> commands)
    {
        var root = Load(userdata);
        Substitute(root, values);
        Append(root, "write_files", files);
        Append(root, "runcmd", commands.Select(c => (YamlNode)YamlNodeWriter.Str(c)));
        return Header + "\n" + YamlNodeWriter.Write(root);
    }

    private static YamlMappingNode Load(string userdata)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(userdata));
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new FormatException("a cloud-config must be a single YAML mapping");
        }
        return root;
    }

    private static void Substitute(YamlNode node, IReadOnlyDictionary<string, string> values)
    {
        foreach (var scalar in node.AllNodes.OfType<YamlScalarNode>())
        {
            var text = scalar.Value ?? string.Empty;
            if (!Placeholder().IsMatch(text))
            {
                continue;
            }
            scalar.Value = Placeholder().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var v)
                ? v
                : throw new InvalidOperationException($"No value for placeholder {m.Value}."));
            if (scalar.Style is ScalarStyle.Plain or ScalarStyle.Any)
            {
                // "{{KUBERNETES_MINOR}}" alone becomes "1.34", which a plain scalar would read back as a float.
                scalar.Style = YamlNodeWriter.StyleFor(scalar.Value);
            }
        }
    }

    private static void Append(YamlMappingNode root, string key, IEnumerable<YamlNode> items)
    {
        var list = items.ToList();
        if (list.Count == 0)
        {
            return;
        }
        var keyNode = new YamlScalarNode(key);
        if (!root.Children.TryGetValue(keyNode, out var existing))
        {
            existing = new YamlSequenceNode();
            root.Children.Add(keyNode, existing);
        }
        var sequence = (YamlSequenceNode)existing;
        foreach (var item in list)
        {
            sequence.Children.Add(item);
        }
    }
}
