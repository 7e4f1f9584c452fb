using System.Net;
using System.Text.RegularExpressions;

namespace PacketCluster.Engine.Bootstrap;

/// <summary>Checks a <see cref="UserdataRequest"/> before anything is rendered; reports every problem at once and never echoes a secret.</summary>
internal static partial class UserdataRequestValidation
{
    public const string ErrorId = "InvalidUserdataRequest";

    [GeneratedRegex(@"^[a-z0-9]{6}\.[a-z0-9]{16}$", RegexOptions.CultureInvariant)]
    private static partial Regex BootstrapToken();

    [GeneratedRegex(@"^sha256:[0-9a-f]{64}$", RegexOptions.CultureInvariant)]
    private static partial Regex CaPin();

    [GeneratedRegex(@"^[0-9]+\.[0-9]+\.[0-9]+$", RegexOptions.CultureInvariant)]
    private static partial Regex Version();

    // RFC 1123 subdomain: what kubeadm accepts as a node name.
    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsSubdomain();

    // Debian package spec (name[=version]): it ends up in shell commands, so nothing else may get through.
    [GeneratedRegex(@"^[a-z0-9][a-z0-9.+-]*(=[A-Za-z0-9.+:~_-]+)?$", RegexOptions.CultureInvariant)]
    private static partial Regex PackageSpec();

    [GeneratedRegex(@"^[A-Za-z0-9._-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex SimpleName();

    public static bool IsPackageSpec(string value) => PackageSpec().IsMatch(value);

    public static void Check(UserdataRequest r)
    {
        var problems = new List<string>();

        if (string.IsNullOrWhiteSpace(r.ClusterName) || !SimpleName().IsMatch(r.ClusterName))
        {
            problems.Add("ClusterName must be a non-empty name of letters, digits, '.', '_' or '-'.");
        }
        if (string.IsNullOrEmpty(r.NodeName) || r.NodeName.Length > 253 || !DnsSubdomain().IsMatch(r.NodeName))
        {
            problems.Add($"NodeName '{r.NodeName}' must be a lowercase DNS name (letters, digits, '-', '.'), as kubeadm requires for a node.");
        }
        if (r.ProviderId is not null && !(r.ProviderId.StartsWith("packet://", StringComparison.Ordinal) && r.ProviderId.Length > "packet://".Length && !r.ProviderId.Any(char.IsWhiteSpace)))
        {
            problems.Add($"ProviderId '{r.ProviderId}' must look like packet://<device id>, or be left out.");
        }
        if (string.IsNullOrEmpty(r.KubernetesVersion) || !Version().IsMatch(r.KubernetesVersion))
        {
            problems.Add($"KubernetesVersion '{r.KubernetesVersion}' must be MAJOR.MINOR.PATCH without a leading 'v', e.g. 1.20.2.");
        }
        problems.AddRange(Api.NodeRegistrationRules.Problems(r.NodeLabels, r.NodeTaints));
        if (string.IsNullOrWhiteSpace(r.Image))
        {
            problems.Add("Image (the machine's OS slug, e.g. ubuntu_22_04) is required.");
        }
        if (r.ContainerRuntime is not null && !PackageSpec().IsMatch(r.ContainerRuntime))
        {
            problems.Add($"ContainerRuntime '{r.ContainerRuntime}' must be a Debian package name, optionally with '=version'.");
        }
        if (string.IsNullOrEmpty(r.ControlPlaneEndpointHost) || Uri.CheckHostName(r.ControlPlaneEndpointHost) is UriHostNameType.Unknown or UriHostNameType.Basic)
        {
            problems.Add($"ControlPlaneEndpointHost '{r.ControlPlaneEndpointHost}' must be an IP address or a DNS name.");
        }
        if (r.ControlPlaneEndpointPort is < 1 or > 65535)
        {
            problems.Add($"ControlPlaneEndpointPort {r.ControlPlaneEndpointPort} must be between 1 and 65535.");
        }
        CheckCidr(r.PodCidr, nameof(r.PodCidr), problems);
        CheckCidr(r.ServiceCidr, nameof(r.ServiceCidr), problems);
        if (string.IsNullOrEmpty(r.DnsDomain) || !DnsSubdomain().IsMatch(r.DnsDomain))
        {
            problems.Add($"DnsDomain '{r.DnsDomain}' must be a lowercase DNS name such as cluster.local.");
        }
        if (string.IsNullOrEmpty(r.MachineNamespace) || !SimpleName().IsMatch(r.MachineNamespace) || !SimpleName().IsMatch(r.EffectiveMachineName))
        {
            problems.Add("MachineNamespace and MachineName must be Kubernetes object names.");
        }

        if (r.Role.IsControlPlane())
        {
            CheckPem(r.CaCertificatePem, nameof(r.CaCertificatePem), problems);
            CheckPem(r.CaKeyPem, nameof(r.CaKeyPem), problems);
            CheckPem(r.EtcdCaCertificatePem, nameof(r.EtcdCaCertificatePem), problems);
            CheckPem(r.EtcdCaKeyPem, nameof(r.EtcdCaKeyPem), problems);
            CheckPem(r.FrontProxyCaCertificatePem, nameof(r.FrontProxyCaCertificatePem), problems);
            CheckPem(r.FrontProxyCaKeyPem, nameof(r.FrontProxyCaKeyPem), problems);
            CheckPem(r.ServiceAccountPublicKeyPem, nameof(r.ServiceAccountPublicKeyPem), problems);
            CheckPem(r.ServiceAccountPrivateKeyPem, nameof(r.ServiceAccountPrivateKeyPem), problems);
        }
        if (r.Role == MachineRole.ControlPlane)
        {
            if (r.BootstrapTokens.Count == 0)
            {
                problems.Add("BootstrapTokens must hold at least the control plane's own token.");
            }
            for (var i = 0; i < r.BootstrapTokens.Count; i++)
            {
                if (r.BootstrapTokens[i] is null || !BootstrapToken().IsMatch(r.BootstrapTokens[i]))
                {
                    problems.Add($"BootstrapTokens[{i}] is not a bootstrap token ([a-z0-9]{{6}}.[a-z0-9]{{16}}).");
                }
            }
            var ids = r.BootstrapTokens.Where(t => t is not null && t.Length > 6).Select(t => t[..6]).ToList();
            if (ids.Distinct(StringComparer.Ordinal).Count() != ids.Count)
            {
                problems.Add("BootstrapTokens must have distinct token ids: one token per machine.");
            }
            if (r.BootstrapTokenTtl < TimeSpan.FromMinutes(1) || r.BootstrapTokenTtl > TimeSpan.FromDays(7))
            {
                problems.Add($"BootstrapTokenTtl {r.BootstrapTokenTtl} must be between 1 minute and 7 days.");
            }
        }
        if (r.Role.Joins())
        {
            if (r.JoinToken is null || !BootstrapToken().IsMatch(r.JoinToken))
            {
                problems.Add("JoinToken must be the joining machine's own bootstrap token ([a-z0-9]{6}.[a-z0-9]{16}).");
            }
            if (r.CaCertHash is null || !CaPin().IsMatch(r.CaCertHash))
            {
                problems.Add("CaCertHash must be the cluster CA pin 'sha256:<64 lowercase hex digits>'; a machine never joins without verifying the CA.");
            }
        }

        if (problems.Count > 0)
        {
            throw new PacketClusterException(ErrorId, ErrorKind.InvalidArgument,
                $"Cannot render userdata for {r.Role} {r.NodeName}:\n  " + string.Join("\n  ", problems),
                "Fix the machine's spec as listed in the message, then run the command again.", r.NodeName);
        }
    }

    private static void CheckCidr(string? value, string name, List<string> problems)
    {
        if (string.IsNullOrEmpty(value) || !value.Contains('/') || !IPNetwork.TryParse(value, out var network) || HasHostBits(value, network))
        {
            problems.Add($"{name} '{value}' must be a CIDR block such as 10.244.0.0/16 (no host bits set).");
        }
    }

    // A CIDR with host bits (10.96.0.1/12) is almost always a typo for another block; say so instead of guessing.
    private static bool HasHostBits(string value, IPNetwork network)
    {
        var address = IPAddress.Parse(value[..value.IndexOf('/')]).GetAddressBytes();
        var bits = network.PrefixLength;
        for (var i = 0; i < address.Length; i++)
        {
            var keep = Math.Clamp(bits - (i * 8), 0, 8);
            var hostMask = (byte)(0xFF >> keep);
            if ((address[i] & hostMask) != 0)
            {
                return true;
            }
        }
        return false;
    }

    private static void CheckPem(string? value, string name, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(value) || !value.Contains("-----BEGIN ", StringComparison.Ordinal) || !value.Contains("-----END ", StringComparison.Ordinal))
        {
            problems.Add($"{name} must be PEM text (a control plane brings its CAs and service-account keys; kubeadm must not generate its own).");
        }
    }
}
