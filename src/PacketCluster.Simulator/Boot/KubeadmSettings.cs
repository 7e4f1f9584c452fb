using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using static PacketCluster.Simulator.Boot.BootPlan;

namespace PacketCluster.Simulator.Boot;

/// <summary>One entry of InitConfiguration.bootstrapTokens. <see cref="ToString"/> hides the secret.</summary>
public sealed record BootstrapTokenSpec(string Id, string Secret, TimeSpan? Ttl, DateTimeOffset? Expires, IReadOnlyList<string> Usages, IReadOnlyList<string> Groups, string? Description)
{
    public string Value => $"{Id}.{Secret}";
    public override string ToString() => $"{Id}.****";
}

/// <summary>
/// The parts of a kubeadm config file (InitConfiguration, ClusterConfiguration, JoinConfiguration; any of
/// kubeadm.k8s.io/v1beta1..v1beta4) the simulated machine needs. Read leniently with YamlDotNet: kubeadm 1.20 itself
/// would refuse v1beta3+ and loopback addresses, which the simulator must accept.
/// </summary>
public sealed partial class KubeadmSettings
{
    private static readonly string[] ApiVersions = ["kubeadm.k8s.io/v1beta1", "kubeadm.k8s.io/v1beta2", "kubeadm.k8s.io/v1beta3", "kubeadm.k8s.io/v1beta4"];

    public string? ApiVersion { get; private set; }
    public bool HasInit { get; private set; }
    public bool HasCluster { get; private set; }
    public bool HasJoin { get; private set; }

    public List<BootstrapTokenSpec> BootstrapTokens { get; } = [];
    public string? NodeName { get; private set; }
    public Dictionary<string, string> KubeletExtraArgs { get; } = new(StringComparer.Ordinal);

    /// <summary>nodeRegistration.taints; null when the field is absent (kubeadm then gives a control plane its default taint).</summary>
    public List<k8s.Models.V1Taint>? Taints { get; private set; }

    public string ClusterName { get; private set; } = "kubernetes";
    public string? KubernetesVersion { get; private set; }
    public string? ControlPlaneEndpoint { get; private set; }
    public string ServiceSubnet { get; private set; } = "10.96.0.0/12";

    /// <summary>networking.podSubnet (kubeadm --pod-network-cidr); null: no pod network, so no node CIDRs are allocated.</summary>
    public string? PodSubnet { get; private set; }
    public string DnsDomain { get; private set; } = "cluster.local";
    public string CertificatesDir { get; private set; } = "/etc/kubernetes/pki";
    public List<string> CertSans { get; } = [];

    public string? JoinEndpoint { get; private set; }
    public string? JoinToken { get; private set; }
    public List<string> CaCertHashes { get; } = [];
    public bool UnsafeSkipCaVerification { get; private set; }

    /// <summary>JoinConfiguration.controlPlane (or <c>--control-plane</c>): this join runs an etcd member and an API server.</summary>
    public bool JoinControlPlane { get; private set; }

    /// <summary>How long kubeadm join looks for the control plane: discovery.timeout (v1beta1–3), timeouts.discovery (v1beta4), else kubeadm's 5 minutes.</summary>
    public TimeSpan DiscoveryTimeout { get; private set; } = DefaultDiscoveryTimeout;

    public static readonly TimeSpan DefaultDiscoveryTimeout = TimeSpan.FromMinutes(5);

    /// <exception cref="FormatException">Not YAML, an unsupported apiVersion, or a malformed field (the message names the field, never its value).</exception>
    public static KubeadmSettings Parse(string yaml)
    {
        var settings = new KubeadmSettings();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new FormatException($"kubeadm config is not valid YAML at line {e.Start.Line}, column {e.Start.Column}");
        }
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is not YamlMappingNode root) continue;
            var kind = Scalar(root, "kind");
            var apiVersion = Scalar(root, "apiVersion");
            if (kind is not ("InitConfiguration" or "ClusterConfiguration" or "JoinConfiguration")) continue;
            if (!ApiVersions.Contains(apiVersion))
                throw new FormatException($"{kind} has apiVersion '{apiVersion}'; the simulator reads {string.Join(", ", ApiVersions)}");
            settings.ApiVersion = apiVersion;
            switch (kind)
            {
                case "InitConfiguration": settings.ReadInit(root); break;
                case "ClusterConfiguration": settings.ReadCluster(root); break;
                case "JoinConfiguration": settings.ReadJoin(root); break;
            }
        }
        if (!settings.HasInit && !settings.HasCluster && !settings.HasJoin)
            throw new FormatException("kubeadm config holds no InitConfiguration, ClusterConfiguration or JoinConfiguration");
        return settings;
    }

    private void ReadInit(YamlMappingNode root)
    {
        HasInit = true;
        if (Child(root, "bootstrapTokens") is YamlSequenceNode tokens)
        {
            for (var i = 0; i < tokens.Children.Count; i++)
            {
                if (tokens.Children[i] is not YamlMappingNode token) throw new FormatException($"bootstrapTokens[{i}] is not a mapping");
                BootstrapTokens.Add(ReadToken(token, i));
            }
        }
        ReadRegistration(root);
    }

    private static BootstrapTokenSpec ReadToken(YamlMappingNode token, int i)
    {
        var value = Scalar(token, "token") ?? throw new FormatException($"bootstrapTokens[{i}].token is missing");
        var match = TokenPattern().Match(value);
        if (!match.Success) throw new FormatException($"bootstrapTokens[{i}].token is not of the form [a-z0-9]{{6}}.[a-z0-9]{{16}}");
        TimeSpan? ttl = null;
        if (Scalar(token, "ttl") is { } ttlText)
            ttl = ParseGoDuration(ttlText) ?? throw new FormatException($"bootstrapTokens[{i}].ttl '{ttlText}' is not a duration");
        DateTimeOffset? expires = null;
        if (Scalar(token, "expires") is { } expiresText)
            expires = DateTimeOffset.TryParse(expiresText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var e)
                ? e : throw new FormatException($"bootstrapTokens[{i}].expires '{expiresText}' is not a time");
        return new BootstrapTokenSpec(match.Groups[1].Value, match.Groups[2].Value, ttl, expires,
            Strings(token, "usages") is { Count: > 0 } usages ? usages : ["signing", "authentication"],
            Strings(token, "groups") is { Count: > 0 } groups ? groups : ["system:bootstrappers:kubeadm:default-node-token"],
            Scalar(token, "description"));
    }

    private void ReadRegistration(YamlMappingNode root)
    {
        if (Child(root, "nodeRegistration") is not YamlMappingNode registration) return;
        NodeName = Scalar(registration, "name") ?? NodeName;
        if (Child(registration, "taints") is YamlSequenceNode taints)
            Taints = taints.Children.OfType<YamlMappingNode>()
                .Select(t => new k8s.Models.V1Taint { Key = Scalar(t, "key") ?? "", Value = Scalar(t, "value"), Effect = Scalar(t, "effect") ?? "" })
                .ToList();
        switch (Child(registration, "kubeletExtraArgs"))
        {
            case YamlMappingNode map: // v1beta1..3
                foreach (var (key, value) in map.Children)
                    if (key is YamlScalarNode k && value is YamlScalarNode v) KubeletExtraArgs[k.Value ?? ""] = v.Value ?? "";
                break;
            case YamlSequenceNode list: // v1beta4: [{name, value}]
                foreach (var item in list.Children.OfType<YamlMappingNode>())
                    if (Scalar(item, "name") is { } name) KubeletExtraArgs[name] = Scalar(item, "value") ?? "";
                break;
        }
    }

    private void ReadCluster(YamlMappingNode root)
    {
        HasCluster = true;
        ClusterName = Scalar(root, "clusterName") ?? ClusterName;
        KubernetesVersion = Scalar(root, "kubernetesVersion");
        ControlPlaneEndpoint = Scalar(root, "controlPlaneEndpoint");
        CertificatesDir = Scalar(root, "certificatesDir") ?? CertificatesDir;
        if (Child(root, "networking") is YamlMappingNode networking)
        {
            ServiceSubnet = Scalar(networking, "serviceSubnet") ?? ServiceSubnet;
            PodSubnet = Scalar(networking, "podSubnet") is { Length: > 0 } pods ? pods : PodSubnet;
            DnsDomain = Scalar(networking, "dnsDomain") ?? DnsDomain;
        }
        if (Child(root, "apiServer") is YamlMappingNode apiServer && Strings(apiServer, "certSANs") is { } sans) CertSans.AddRange(sans);
    }

    private void ReadJoin(YamlMappingNode root)
    {
        HasJoin = true;
        ReadRegistration(root);
        if (Child(root, "discovery") is not YamlMappingNode discovery) throw new FormatException("JoinConfiguration has no discovery");
        if (Child(discovery, "bootstrapToken") is not YamlMappingNode token)
            throw new FormatException("JoinConfiguration.discovery has no bootstrapToken (file discovery is not simulated)");
        JoinEndpoint = Scalar(token, "apiServerEndpoint") ?? throw new FormatException("discovery.bootstrapToken.apiServerEndpoint is missing");
        JoinToken = Scalar(token, "token") ?? Scalar(discovery, "tlsBootstrapToken") ?? throw new FormatException("discovery.bootstrapToken.token is missing");
        if (Strings(token, "caCertHashes") is { } hashes) CaCertHashes.AddRange(hashes);
        UnsafeSkipCaVerification = string.Equals(Scalar(token, "unsafeSkipCAVerification"), "true", StringComparison.OrdinalIgnoreCase);
        JoinControlPlane = Child(root, "controlPlane") is YamlMappingNode;
        var timeout = Scalar(discovery, "timeout") ?? (Child(root, "timeouts") is YamlMappingNode timeouts ? Scalar(timeouts, "discovery") : null);
        if (timeout is not null)
            DiscoveryTimeout = ParseGoDuration(timeout) is { } parsed && parsed > TimeSpan.Zero
                ? parsed : throw new FormatException("discovery timeout is not a duration such as 5m0s");
    }

    /// <summary>
    /// Settings from the command line when the userdata runs kubeadm without --config:
    /// <c>kubeadm join HOST:PORT --token T --discovery-token-ca-cert-hash H [--node-name N]</c>, or a bare <c>kubeadm init</c>.
    /// </summary>
    public static KubeadmSettings FromFlags(KubeadmCommand command)
    {
        var settings = new KubeadmSettings { NodeName = command.Flags.GetValueOrDefault("node-name") };
        if (command.Flags.TryGetValue("token", out var token) && command.Verb == KubeadmVerb.Init)
        {
            var match = TokenPattern().Match(token);
            if (!match.Success) throw new FormatException("--token is not of the form [a-z0-9]{6}.[a-z0-9]{16}");
            settings.BootstrapTokens.Add(new BootstrapTokenSpec(match.Groups[1].Value, match.Groups[2].Value, null, null,
                ["signing", "authentication"], ["system:bootstrappers:kubeadm:default-node-token"], null));
        }
        if (command.Flags.TryGetValue("control-plane-endpoint", out var endpoint)) settings.ControlPlaneEndpoint = endpoint;
        if (command.Flags.TryGetValue("service-cidr", out var services)) settings.ServiceSubnet = services;
        if (command.Flags.TryGetValue("pod-network-cidr", out var pods)) settings.PodSubnet = pods;
        if (command.Verb == KubeadmVerb.Init)
        {
            settings.HasInit = settings.HasCluster = true;
            return settings;
        }
        settings.HasJoin = true;
        settings.JoinEndpoint = command.Positional.FirstOrDefault() ?? throw new FormatException("kubeadm join needs the API server endpoint");
        settings.JoinToken = command.Flags.GetValueOrDefault("token") ?? command.Flags.GetValueOrDefault("discovery-token")
            ?? throw new FormatException("kubeadm join needs --token");
        if (command.Flags.TryGetValue("discovery-token-ca-cert-hash", out var hash)) settings.CaCertHashes.Add(hash);
        settings.UnsafeSkipCaVerification = command.Flags.ContainsKey("discovery-token-unsafe-skip-ca-verification");
        settings.JoinControlPlane = command.Flags.ContainsKey("control-plane");
        return settings;
    }

    /// <summary>
    /// A joining control plane takes the cluster-wide settings (name, endpoint, networking, certSANs) from the
    /// ClusterConfiguration that <c>kubeadm init</c> uploaded to kube-system/kubeadm-config, as kubeadm join does.
    /// </summary>
    /// <exception cref="FormatException">The uploaded text is not a ClusterConfiguration the simulator reads.</exception>
    public void WithClusterConfiguration(string yaml)
    {
        var uploaded = Parse(yaml);
        if (!uploaded.HasCluster) throw new FormatException("kubeadm-config holds no ClusterConfiguration");
        HasCluster = true;
        ClusterName = uploaded.ClusterName;
        KubernetesVersion = uploaded.KubernetesVersion;
        ControlPlaneEndpoint = uploaded.ControlPlaneEndpoint;
        ServiceSubnet = uploaded.ServiceSubnet;
        PodSubnet = uploaded.PodSubnet;
        DnsDomain = uploaded.DnsDomain;
        CertificatesDir = uploaded.CertificatesDir;
        CertSans.Clear();
        CertSans.AddRange(uploaded.CertSans);
    }

    /// <summary>
    /// The taints the kubelet registers its Node with: nodeRegistration.taints, else kubeletExtraArgs["register-with-taints"]
    /// ("k=v:Effect,k2:Effect"), else <paramref name="defaults"/> (a control plane's).
    /// </summary>
    public List<k8s.Models.V1Taint> NodeTaints(IEnumerable<k8s.Models.V1Taint> defaults)
    {
        if (Taints is not null) return Taints;
        if (KubeletExtraArgs.GetValueOrDefault("register-with-taints") is not { Length: > 0 } flag) return defaults.ToList();
        var taints = new List<k8s.Models.V1Taint>();
        foreach (var item in flag.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = item.LastIndexOf(':');
            var keyValue = colon < 0 ? item : item[..colon];
            var eq = keyValue.IndexOf('=');
            taints.Add(new k8s.Models.V1Taint { Key = eq < 0 ? keyValue : keyValue[..eq], Value = eq < 0 ? null : keyValue[(eq + 1)..], Effect = colon < 0 ? "" : item[(colon + 1)..] });
        }
        return taints;
    }

    /// <summary>Node labels from kubeletExtraArgs["node-labels"] ("k=v,k2=v2").</summary>
    public Dictionary<string, string> NodeLabels()
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (KubeletExtraArgs.GetValueOrDefault("node-labels") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq > 0) labels[pair[..eq]] = pair[(eq + 1)..];
            else labels[pair] = "";
        }
        return labels;
    }

    [GeneratedRegex("^([a-z0-9]{6})\\.([a-z0-9]{16})$")]
    internal static partial Regex TokenPattern();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")]
    private static partial Regex DurationPart();

    /// <summary>A Go time.Duration string ("2h0m0s", "24h", "90m", "0s"); null when it is not one.</summary>
    public static TimeSpan? ParseGoDuration(string text)
    {
        text = text.Trim();
        if (text == "0") return TimeSpan.Zero;
        var matches = DurationPart().Matches(text);
        if (matches.Count == 0 || string.Concat(matches.Select(m => m.Value)) != text) return null;
        var total = TimeSpan.Zero;
        foreach (Match m in matches)
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "h" => TimeSpan.FromHours(n),
                "m" => TimeSpan.FromMinutes(n),
                "s" => TimeSpan.FromSeconds(n),
                "ms" => TimeSpan.FromMilliseconds(n),
                _ => TimeSpan.Zero,
            };
        }
        return total;
    }

    private static List<string>? Strings(YamlMappingNode map, string key) =>
        Child(map, key) switch
        {
            YamlSequenceNode seq => seq.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? "").ToList(),
            YamlScalarNode s when !string.IsNullOrEmpty(s.Value) => [s.Value],
            _ => null,
        };
}
