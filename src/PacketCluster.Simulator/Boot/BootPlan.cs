using System.IO.Compression;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PacketCluster.Simulator.Boot;

/// <summary>A file the userdata writes: absolute path inside the machine, bytes, mode.</summary>
public sealed record BootFile(string Path, byte[] Content, UnixFileMode Mode);

public enum KubeadmVerb { Init, Join }

/// <summary>A <c>kubeadm init|join</c> the userdata runs. <see cref="ConfigPath"/> is a path inside the machine.</summary>
public sealed record KubeadmCommand(KubeadmVerb Verb, string? ConfigPath, IReadOnlyDictionary<string, string> Flags, IReadOnlyList<string> Positional);

/// <summary>
/// What a machine does at first boot, read from its userdata the way cloud-init would for the parts that matter:
/// files to write and the kubeadm commands to run. Other runcmd entries (package installs, downloads) are listed by
/// program name only and never run. Problems make the plan unusable; they never contain file contents.
/// </summary>
public sealed class BootPlan
{
    public List<BootFile> Files { get; } = [];
    public List<KubeadmCommand> Commands { get; } = [];
    /// <summary>runcmd entries that are not simulated, by program name.</summary>
    public List<string> Skipped { get; } = [];
    public List<string> Problems { get; } = [];
    /// <summary>"cloud-config", "shell" or "none".</summary>
    public string Format { get; private set; } = "none";

    public static BootPlan Parse(string? userdata)
    {
        var plan = new BootPlan();
        if (string.IsNullOrWhiteSpace(userdata)) return plan;
        var text = userdata.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (text.StartsWith("#cloud-config", StringComparison.Ordinal))
        {
            plan.Format = "cloud-config";
            plan.ReadCloudConfig(text);
        }
        else if (text.StartsWith("#!", StringComparison.Ordinal))
        {
            plan.Format = "shell";
            ShellUserdata.Read(text, plan);
        }
        else
        {
            plan.Format = "unknown";
            plan.Problems.Add("userdata is neither #cloud-config nor a #! script; cloud-init ignores it");
        }
        return plan;
    }

    private void ReadCloudConfig(string text)
    {
        YamlMappingNode root;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode mapping)
            {
                Problems.Add("cloud-config: the document is not a single YAML mapping");
                return;
            }
            root = mapping;
        }
        catch (YamlException e)
        {
            // The message of a YamlException names the position and the grammar problem, not the content.
            Problems.Add($"cloud-config: not valid YAML at line {e.Start.Line}, column {e.Start.Column}");
            return;
        }

        if (Child(root, "write_files") is { } files)
        {
            if (files is not YamlSequenceNode list) Problems.Add("cloud-config: write_files must be a list");
            else for (var i = 0; i < list.Children.Count; i++) ReadFile(list.Children[i], i);
        }
        if (Child(root, "runcmd") is { } commands)
        {
            if (commands is not YamlSequenceNode list) Problems.Add("cloud-config: runcmd must be a list");
            else for (var i = 0; i < list.Children.Count; i++) ReadCommand(list.Children[i], i);
        }
    }

    private void ReadFile(YamlNode node, int index)
    {
        var at = $"write_files[{index}]";
        if (node is not YamlMappingNode entry)
        {
            Problems.Add($"cloud-config: {at} must be a mapping");
            return;
        }
        var path = Scalar(entry, "path");
        if (string.IsNullOrEmpty(path) || !path.StartsWith('/'))
        {
            Problems.Add($"cloud-config: {at}.path must be an absolute path");
            return;
        }
        var content = Scalar(entry, "content") ?? "";
        var encoding = (Scalar(entry, "encoding") ?? "text/plain").Trim().ToLowerInvariant();
        byte[] bytes;
        try
        {
            bytes = encoding switch
            {
                "b64" or "base64" => Convert.FromBase64String(content),
                "gz" or "gzip" => Gunzip(Encoding.UTF8.GetBytes(content)),
                "gz+b64" or "gz+base64" or "gzip+b64" or "gzip+base64" => Gunzip(Convert.FromBase64String(content)),
                "text/plain" or "" => Encoding.UTF8.GetBytes(content),
                _ => throw new FormatException($"unknown encoding '{encoding}'"),
            };
        }
        catch (Exception e) when (e is FormatException or InvalidDataException)
        {
            Problems.Add($"cloud-config: {at} ({path}): cannot decode its content as {encoding}: {e.GetType().Name}");
            return;
        }
        var permissions = Scalar(entry, "permissions") ?? "0644";
        if (!TryParseMode(permissions, out var mode))
        {
            Problems.Add($"cloud-config: {at} ({path}): permissions '{permissions}' is not an octal mode");
            return;
        }
        if (string.Equals(Scalar(entry, "append"), "true", StringComparison.OrdinalIgnoreCase)
            && Files.FindLastIndex(f => f.Path == path) is var previous and >= 0)
        {
            bytes = [.. Files[previous].Content, .. bytes];
        }
        Files.Add(new BootFile(path, bytes, mode));
    }

    private void ReadCommand(YamlNode node, int index)
    {
        IReadOnlyList<string> words = node switch
        {
            YamlScalarNode scalar => (scalar.Value ?? "").Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries),
            YamlSequenceNode seq => seq.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? "").ToList(),
            _ => [],
        };
        if (words.Count == 0)
        {
            Problems.Add($"cloud-config: runcmd[{index}] is empty or not a string/list");
            return;
        }
        if (ParseKubeadm(words) is { } command) Commands.Add(command);
        else Skipped.Add(Path.GetFileName(words[0]));
    }

    /// <summary>"kubeadm init|join …" (optionally behind sudo/env, or a path to kubeadm); null for anything else.</summary>
    internal static KubeadmCommand? ParseKubeadm(IReadOnlyList<string> words)
    {
        var i = 0;
        while (i < words.Count && words[i] is "sudo" or "env" or "exec") i++;
        if (i >= words.Count || Path.GetFileName(words[i]) != "kubeadm" || i + 1 >= words.Count) return null;
        var verb = words[i + 1] switch { "init" => KubeadmVerb.Init, "join" => KubeadmVerb.Join, _ => (KubeadmVerb?)null };
        if (verb is null) return null;
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        var positional = new List<string>();
        for (var j = i + 2; j < words.Count; j++)
        {
            var word = words[j];
            if (word is "&&" or ";" or "||" or "|") break;
            if (!word.StartsWith("--", StringComparison.Ordinal))
            {
                positional.Add(word);
                continue;
            }
            var eq = word.IndexOf('=');
            if (eq > 0) flags[word[2..eq]] = word[(eq + 1)..];
            else if (j + 1 < words.Count && !words[j + 1].StartsWith("--", StringComparison.Ordinal) && !IsBooleanFlag(word[2..])) flags[word[2..]] = words[++j];
            else flags[word[2..]] = "true";
        }
        return new KubeadmCommand(verb.Value, flags.GetValueOrDefault("config"), flags, positional);
    }

    private static bool IsBooleanFlag(string name) => name is "discovery-token-unsafe-skip-ca-verification" or "upload-certs" or "skip-token-print" or "dry-run" or "control-plane";

    internal static bool TryParseMode(string text, out UnixFileMode mode)
    {
        mode = 0;
        text = text.Trim().Trim('\'', '"');
        if (text.StartsWith("0o", StringComparison.OrdinalIgnoreCase)) text = text[2..];
        if (text.Length is 0 or > 4 || text.Any(c => c is < '0' or > '7')) return false;
        mode = (UnixFileMode)Convert.ToInt32(text, 8);
        return true;
    }

    private static byte[] Gunzip(byte[] data)
    {
        using var input = new GZipStream(new MemoryStream(data), CompressionMode.Decompress);
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }

    internal static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    internal static string? Scalar(YamlMappingNode map, string key) => (Child(map, key) as YamlScalarNode)?.Value;
}
