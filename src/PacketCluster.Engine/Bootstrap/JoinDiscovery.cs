using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PacketCluster.Engine.Bootstrap;

/// <summary>
/// How a joining machine finds its cluster, read back from the userdata it boots with: the kubeadm JoinConfiguration's
/// <c>discovery.bootstrapToken</c>. The engine compares it with the running cluster to say why a machine never joined,
/// since on real hardware only the serial console would show kubeadm's refusal. Only our two formats are read (the
/// kubeadm config file in a #cloud-config, or the KUBEADM_CONFIG variable of a shell header); the token secret is not kept.
/// </summary>
internal sealed partial record JoinDiscovery(string? ApiServerEndpoint, string? TokenId, IReadOnlyList<string> CaCertHashes)
{
    /// <summary>The JoinConfiguration's discovery, or null when the userdata joins nothing (a first control plane) or is not ours.</summary>
    public static JoinDiscovery? FromUserdata(string? userdata)
    {
        if (string.IsNullOrWhiteSpace(userdata)) return null;
        var text = userdata.Replace("\r\n", "\n", StringComparison.Ordinal);
        try
        {
            var kubeadmConfig = text.StartsWith("#cloud-config", StringComparison.Ordinal) ? CloudConfigFile(text) : ShellVariable(text);
            return kubeadmConfig is null ? null : FromKubeadmConfig(kubeadmConfig);
        }
        catch (Exception e) when (e is YamlException or FormatException)
        {
            return null;
        }
    }

    private static string? CloudConfigFile(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        if (stream.Documents.FirstOrDefault()?.RootNode is not YamlMappingNode root
            || !root.Children.TryGetValue("write_files", out var filesNode) || filesNode is not YamlSequenceNode files) return null;
        foreach (var file in files.OfType<YamlMappingNode>())
        {
            if (Scalar(file, "path") != UserdataRenderer.KubeadmConfigPath) continue;
            var content = Scalar(file, "content") ?? "";
            return Scalar(file, "encoding") is "b64" or "base64" ? Encoding.UTF8.GetString(Convert.FromBase64String(content)) : content;
        }
        return null;
    }

    private static string? ShellVariable(string text)
    {
        var match = KubeadmConfigVariable().Match(text);
        return match.Success ? Encoding.UTF8.GetString(Convert.FromBase64String(match.Groups["value"].Value)) : null;
    }

    private static JoinDiscovery? FromKubeadmConfig(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is not YamlMappingNode root || Scalar(root, "kind") != "JoinConfiguration") continue;
            var token = Child(Child(root, "discovery"), "bootstrapToken");
            var hashes = token is not null && token.Children.TryGetValue("caCertHashes", out var h) && h is YamlSequenceNode list
                ? list.OfType<YamlScalarNode>().Select(s => s.Value ?? "").ToArray()
                : [];
            var secretToken = token is null ? null : Scalar(token, "token");
            return new JoinDiscovery(token is null ? null : Scalar(token, "apiServerEndpoint"), secretToken?.Split('.')[0], hashes);
        }
        return null;
    }

    private static YamlMappingNode? Child(YamlMappingNode? node, string key) =>
        node is not null && node.Children.TryGetValue(key, out var child) ? child as YamlMappingNode : null;

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) && value is YamlScalarNode scalar ? scalar.Value : null;

    [GeneratedRegex(@"^KUBEADM_CONFIG='(?<value>[A-Za-z0-9+/=]*)'$", RegexOptions.Multiline)]
    private static partial Regex KubeadmConfigVariable();
}
