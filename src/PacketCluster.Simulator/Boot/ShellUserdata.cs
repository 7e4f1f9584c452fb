using System.Text;
using System.Text.RegularExpressions;

namespace PacketCluster.Simulator.Boot;

/// <summary>
/// Seed-style shell userdata: "#!/bin/bash" and a header of <c>NAME='value'</c> lines (seed-provider.md §4.2 plus
/// PacketCluster's additions: <c>KUBEADM_CONFIG</c>, <c>NODE_NAME</c>, the other CAs, <c>MASTER_CA_CERT_HASH</c>).
/// The script below the header is not run; the header says everything the machine does with kubeadm:
/// <c>ROLE=master</c> writes the PKI and runs <c>kubeadm init</c>, <c>ROLE=node</c> runs <c>kubeadm join</c>.
/// </summary>
internal static partial class ShellUserdata
{
    public const string ConfigPath = "/etc/kubernetes/kubeadm-config.yaml";
    private const string Pki = "/etc/kubernetes/pki";
    private const UnixFileMode Public = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Secret = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$")]
    private static partial Regex Assignment();

    /// <summary>The header's variables, in order; reading stops at the first line that is not an assignment or a comment.</summary>
    public static Dictionary<string, string> ReadHeader(string script, List<string> problems)
    {
        var vars = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = script.Split('\n');
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var match = Assignment().Match(line);
            if (!match.Success) break;
            if (Unquote(match.Groups[2].Value) is { } value) vars[match.Groups[1].Value] = value;
            else problems.Add($"shell header line {i + 1}: the value of {match.Groups[1].Value} is not a single shell word");
        }
        return vars;
    }

    /// <summary>'single' (with '\'' escapes), "double" (no expansion supported) or a bare word.</summary>
    internal static string? Unquote(string raw)
    {
        var value = new StringBuilder();
        var i = 0;
        while (i < raw.Length)
        {
            var c = raw[i];
            if (c == '\'')
            {
                var end = raw.IndexOf('\'', i + 1);
                if (end < 0) return null;
                value.Append(raw, i + 1, end - i - 1);
                i = end + 1;
            }
            else if (c == '"')
            {
                var end = raw.IndexOf('"', i + 1);
                if (end < 0) return null;
                var inner = raw[(i + 1)..end];
                if (inner.Contains('$') || inner.Contains('`')) return null;
                value.Append(inner);
                i = end + 1;
            }
            else if (c == '\\' && i + 1 < raw.Length)
            {
                value.Append(raw[i + 1]);
                i += 2;
            }
            else if (char.IsWhiteSpace(c) || c is '$' or '`' or ';' or '&' or '|')
            {
                return c == ' ' && raw[i..].TrimStart().StartsWith('#') ? value.ToString() : null;
            }
            else
            {
                value.Append(c);
                i++;
            }
        }
        return value.ToString();
    }

    public static void Read(string script, BootPlan plan)
    {
        var vars = ReadHeader(script, plan.Problems);
        if (plan.Problems.Count > 0) return;
        var role = vars.GetValueOrDefault("ROLE") ?? "";
        switch (role)
        {
            case "master" or "control-plane" or "controlplane":
                AddFile(plan, vars, "MASTER_CA_CERTIFICATE", $"{Pki}/ca.crt", Public);
                AddFile(plan, vars, "MASTER_CA_PRIVATE_KEY", $"{Pki}/ca.key", Secret);
                AddFile(plan, vars, "ETCD_CA_CERTIFICATE", $"{Pki}/etcd/ca.crt", Public);
                AddFile(plan, vars, "ETCD_CA_PRIVATE_KEY", $"{Pki}/etcd/ca.key", Secret);
                AddFile(plan, vars, "FRONT_PROXY_CA_CERTIFICATE", $"{Pki}/front-proxy-ca.crt", Public);
                AddFile(plan, vars, "FRONT_PROXY_CA_PRIVATE_KEY", $"{Pki}/front-proxy-ca.key", Secret);
                AddFile(plan, vars, "SA_PUBLIC_KEY", $"{Pki}/sa.pub", Public);
                AddFile(plan, vars, "SA_PRIVATE_KEY", $"{Pki}/sa.key", Secret);
                if (!AddFile(plan, vars, "KUBEADM_CONFIG", ConfigPath, Secret))
                    plan.Files.Add(new BootFile(ConfigPath, Encoding.UTF8.GetBytes(SeedInitConfig(vars)), Secret));
                plan.Commands.Add(new KubeadmCommand(KubeadmVerb.Init, ConfigPath, new Dictionary<string, string>(), []));
                break;
            case "node" or "worker":
                if (!AddFile(plan, vars, "KUBEADM_CONFIG", ConfigPath, Secret))
                {
                    var missing = new[] { "MASTER", "TOKEN" }.Where(v => string.IsNullOrEmpty(vars.GetValueOrDefault(v))).ToList();
                    if (missing.Count > 0)
                    {
                        plan.Problems.Add($"shell header: ROLE={role} needs KUBEADM_CONFIG or {string.Join(" and ", missing)}");
                        return;
                    }
                    plan.Files.Add(new BootFile(ConfigPath, Encoding.UTF8.GetBytes(SeedJoinConfig(vars)), Secret));
                }
                plan.Commands.Add(new KubeadmCommand(KubeadmVerb.Join, ConfigPath, new Dictionary<string, string>(), []));
                break;
            default:
                plan.Problems.Add(role.Length == 0
                    ? "shell header: no ROLE variable; cannot tell whether this machine runs kubeadm init or join"
                    : $"shell header: ROLE '{role}' is neither master nor node");
                break;
        }
    }

    /// <summary>A base64 variable as a file; false when the variable is absent or empty.</summary>
    private static bool AddFile(BootPlan plan, Dictionary<string, string> vars, string name, string path, UnixFileMode mode)
    {
        if (vars.GetValueOrDefault(name) is not { Length: > 0 } value) return false;
        try
        {
            plan.Files.Add(new BootFile(path, Convert.FromBase64String(value), mode));
            return true;
        }
        catch (FormatException)
        {
            plan.Problems.Add($"shell header: {name} is not base64");
            return false;
        }
    }

    /// <summary>What the seed's master script fed kubeadm when no KUBEADM_CONFIG was given.</summary>
    private static string SeedInitConfig(Dictionary<string, string> vars)
    {
        var text = new StringBuilder();
        text.Append("apiVersion: kubeadm.k8s.io/v1beta2\nkind: InitConfiguration\n");
        if (vars.GetValueOrDefault("TOKEN") is { Length: > 0 } token)
            text.Append("bootstrapTokens:\n- token: '").Append(token).Append("'\n");
        if (vars.GetValueOrDefault("NODE_NAME") is { Length: > 0 } name)
            text.Append("nodeRegistration:\n  name: '").Append(name).Append("'\n");
        text.Append("---\napiVersion: kubeadm.k8s.io/v1beta2\nkind: ClusterConfiguration\nnetworking:\n");
        text.Append("  serviceSubnet: '").Append(vars.GetValueOrDefault("SERVICE_CIDR") ?? "10.96.0.0/12").Append("'\n");
        text.Append("  dnsDomain: '").Append(vars.GetValueOrDefault("CLUSTER_DNS_DOMAIN") ?? "cluster.local").Append("'\n");
        return text.ToString();
    }

    private static string SeedJoinConfig(Dictionary<string, string> vars)
    {
        var text = new StringBuilder();
        text.Append("apiVersion: kubeadm.k8s.io/v1beta2\nkind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n");
        text.Append("    apiServerEndpoint: '").Append(vars["MASTER"]).Append("'\n");
        text.Append("    token: '").Append(vars["TOKEN"]).Append("'\n");
        if (vars.GetValueOrDefault("MASTER_CA_CERT_HASH") is { Length: > 0 } hash)
            text.Append("    caCertHashes: ['").Append(hash).Append("']\n");
        else
            text.Append("    unsafeSkipCAVerification: true\n"); // the seed joined this way
        if (vars.GetValueOrDefault("NODE_NAME") is { Length: > 0 } name)
            text.Append("nodeRegistration:\n  name: '").Append(name).Append("'\n");
        return text.ToString();
    }
}
