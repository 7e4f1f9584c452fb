using YamlDotNet.RepresentationModel;
using Xunit;

namespace PacketCluster.Engine.Tests.Manifests;

/// <summary>Checks every rendered multi-document file must pass, whatever it holds.</summary>
internal static class ManifestAssertions
{
    /// <summary>Parses every document and checks apiVersion, kind and metadata.name; returns the documents.</summary>
    public static IReadOnlyList<YamlMappingNode> ParseDocuments(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var documents = stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode)).ToList();
        Assert.NotEmpty(documents);
        foreach (var doc in documents)
        {
            Assert.False(string.IsNullOrEmpty(Scalar(doc, "apiVersion")), "a document has no apiVersion");
            Assert.False(string.IsNullOrEmpty(Scalar(doc, "kind")), "a document has no kind");
            var metadata = Assert.IsType<YamlMappingNode>(doc.Children[new YamlScalarNode("metadata")]);
            Assert.False(string.IsNullOrEmpty(Scalar(metadata, "name")), $"a {Scalar(doc, "kind")} has no metadata.name");
        }

        AssertNoBareNumberQuantities(documents);
        return documents;
    }

    /// <summary>
    /// Resource quantities must be YAML strings: KubernetesYaml writes a canonical whole number ("1") as a bare
    /// number, and kube-apiserver's server-side apply rejects it ("expected string, got ... Value:1").
    /// </summary>
    private static void AssertNoBareNumberQuantities(IEnumerable<YamlNode> nodes)
    {
        foreach (var node in nodes)
        {
            if (node is not YamlMappingNode mapping)
            {
                if (node is YamlSequenceNode sequence)
                {
                    AssertNoBareNumberQuantities(sequence.Children);
                }

                continue;
            }

            foreach (var (key, value) in mapping.Children)
            {
                if (key is YamlScalarNode { Value: "limits" or "requests" } && value is YamlMappingNode quantities)
                {
                    foreach (var (name, quantity) in quantities.Children)
                    {
                        var scalar = Assert.IsType<YamlScalarNode>(quantity);
                        Assert.False(
                            scalar.Style == YamlDotNet.Core.ScalarStyle.Plain && double.TryParse(scalar.Value, out _),
                            $"quantity {name} = {scalar.Value} is written as a bare YAML number");
                    }
                }

                AssertNoBareNumberQuantities(new[] { value });
            }
        }
    }

    /// <summary>The secret occurs only inside Secret documents.</summary>
    public static void SecretOnlyInSecrets(string yaml, string secret)
    {
        var documents = ParseDocuments(yaml);
        var holders = documents.Where(d => Serialize(d).Contains(secret, StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(holders);
        Assert.All(holders, d => Assert.Equal("Secret", Scalar(d, "kind")));
        // Comments are outside any document: make sure no comment carries it either.
        Assert.DoesNotContain(
            yaml.Split('\n').Where(l => l.TrimStart().StartsWith('#')),
            l => l.Contains(secret, StringComparison.Ordinal));
    }

    public static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;

    public static string Kind(YamlMappingNode doc) => Scalar(doc, "kind")!;

    public static string Name(YamlMappingNode doc) => Scalar((YamlMappingNode)doc.Children[new YamlScalarNode("metadata")], "name")!;

    private static string Serialize(YamlMappingNode node)
    {
        var stream = new YamlStream(new YamlDocument(node));
        using var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }
}
