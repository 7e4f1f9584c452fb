using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace PacketCluster.Engine.Bootstrap;

/// <summary>
/// Writes YAML node trees with the styles userdata needs: multi-line strings as literal blocks, strings that a
/// YAML 1.1 reader (cloud-init's PyYAML, kubeadm's sigs.k8s.io/yaml) would take for a number, boolean or null
/// quoted, and no line folding (a folded runcmd line is valid YAML but unreadable in a golden file).
/// </summary>
internal static partial class YamlNodeWriter
{
    /// <summary>A string scalar that reads back as a string, whatever it contains.</summary>
    public static YamlScalarNode Str(string value) => new(value) { Style = StyleFor(value) };

    public static YamlSequenceNode Seq(IEnumerable<YamlNode> items) => new(items);

    public static YamlSequenceNode StrSeq(IEnumerable<string> items) => new(items.Select(i => (YamlNode)Str(i)));

    /// <summary>Writes each node as one document; documents after the first are introduced by "---".</summary>
    public static string Write(IEnumerable<YamlNode> documents)
    {
        var text = new StringWriter { NewLine = "\n" };
        var emitter = new Emitter(text, new EmitterSettings(bestIndent: 2, bestWidth: int.MaxValue, isCanonical: false, maxSimpleKeyLength: 1024, newLine: "\n"));
        emitter.Emit(new StreamStart());
        var first = true;
        foreach (var document in documents)
        {
            emitter.Emit(new DocumentStart(null, null, isImplicit: first));
            EmitNode(emitter, document);
            emitter.Emit(new DocumentEnd(isImplicit: true));
            first = false;
        }
        emitter.Emit(new StreamEnd());
        return text.ToString();
    }

    public static string Write(YamlNode document) => Write([document]);

    /// <summary>
    /// The style for a string scalar. Literal for multi-line text; double quotes when a plain scalar would
    /// resolve to something other than a string (e.g. "0600" is an octal int to PyYAML, "1.20" a float, "on" a bool).
    /// Otherwise Any, which lets the emitter quote only what the syntax requires.
    /// </summary>
    public static ScalarStyle StyleFor(string value)
    {
        if (value.Contains('\n'))
        {
            return ScalarStyle.Literal;
        }
        return ResolvesToNonString(value) ? ScalarStyle.DoubleQuoted : ScalarStyle.Any;
    }

    internal static bool ResolvesToNonString(string value) =>
        value.Length == 0 || NonStringPlainScalar().IsMatch(value);

    // YAML 1.1 booleans and nulls, plus anything that starts like a number (ints, octals, floats, sexagesimals,
    // timestamps, ".inf"): broader than the spec on purpose, quoting a string that did not need it is harmless.
    [GeneratedRegex(@"^(?:[yYnN~]|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|[-+]?\.?[0-9].*|[-+]?\.(?:inf|Inf|INF|nan|NaN|NAN))$", RegexOptions.CultureInvariant)]
    private static partial Regex NonStringPlainScalar();

    private static void EmitNode(IEmitter emitter, YamlNode node)
    {
        switch (node)
        {
            case YamlScalarNode scalar:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, scalar.Value ?? string.Empty, scalar.Style, isPlainImplicit: true, isQuotedImplicit: true));
                break;
            case YamlSequenceNode sequence:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, isImplicit: true, sequence.Style == SequenceStyle.Flow ? SequenceStyle.Flow : SequenceStyle.Block));
                foreach (var child in sequence.Children)
                {
                    EmitNode(emitter, child);
                }
                emitter.Emit(new SequenceEnd());
                break;
            case YamlMappingNode mapping:
                emitter.Emit(new MappingStart(AnchorName.Empty, TagName.Empty, isImplicit: true, mapping.Style == MappingStyle.Flow ? MappingStyle.Flow : MappingStyle.Block));
                foreach (var (key, value) in mapping.Children)
                {
                    EmitNode(emitter, key);
                    EmitNode(emitter, value);
                }
                emitter.Emit(new MappingEnd());
                break;
            default:
                throw new InvalidOperationException($"Unexpected YAML node type {node.GetType().Name}.");
        }
    }
}
