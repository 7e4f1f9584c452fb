using System.Text.RegularExpressions;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Api;

/// <summary>
/// What a kubelet accepts as the labels and taints it registers its Node with (node pools): Kubernetes' label syntax,
/// the NodeRestriction rule that keeps a kubelet from setting most <c>kubernetes.io</c>/<c>k8s.io</c> labels, and the
/// three taint effects. Checked before anything is written, so a pool never makes machines whose kubelet would refuse
/// to start.
/// </summary>
public static partial class NodeRegistrationRules
{
    /// <summary>The taint effects Kubernetes knows.</summary>
    public static readonly IReadOnlyList<string> Effects = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

    // kubelet --node-labels: labels in these namespaces are refused unless listed here or under an allowed namespace.
    private static readonly string[] AllowedKubeletLabels =
    [
        "kubernetes.io/hostname", "kubernetes.io/instance-type", "kubernetes.io/os", "kubernetes.io/arch",
        "beta.kubernetes.io/instance-type", "beta.kubernetes.io/os", "beta.kubernetes.io/arch",
        "failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region",
        "failure-domain.kubernetes.io/zone", "failure-domain.kubernetes.io/region",
        "topology.kubernetes.io/zone", "topology.kubernetes.io/region",
    ];

    private static readonly string[] AllowedKubeletNamespaces = ["kubelet.kubernetes.io", "node.kubernetes.io"];

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsSubdomain();

    /// <summary>Every problem with the labels and taints, in words (empty when a kubelet would take them).</summary>
    public static IReadOnlyList<string> Problems(IReadOnlyDictionary<string, string>? labels, IEnumerable<Taint>? taints)
    {
        var problems = new List<string>();
        foreach (var (key, value) in labels ?? new Dictionary<string, string>())
        {
            if (KeyProblem(key) is { } keyProblem) problems.Add($"label '{key}': {keyProblem}");
            else if (IsRestricted(key))
                problems.Add($"label '{key}': a kubelet may not set labels in the kubernetes.io or k8s.io namespaces (NodeRestriction), except " +
                    "node.kubernetes.io/…, kubelet.kubernetes.io/… and the well-known topology and hostname labels. Use a prefix of your own, e.g. example.com/pool.");
            if (ValueProblem(value) is { } valueProblem) problems.Add($"label '{key}': value '{value}' {valueProblem}");
        }
        var seen = new HashSet<(string?, string?)>();
        foreach (var taint in taints ?? [])
        {
            var shown = Format(taint);
            if (KeyProblem(taint.Key ?? string.Empty) is { } keyProblem) problems.Add($"taint '{shown}': {keyProblem}");
            if (!string.IsNullOrEmpty(taint.Value) && ValueProblem(taint.Value) is { } valueProblem) problems.Add($"taint '{shown}': value '{taint.Value}' {valueProblem}");
            if (!Effects.Contains(taint.Effect ?? string.Empty, StringComparer.Ordinal))
                problems.Add($"taint '{shown}': the effect must be one of {string.Join(", ", Effects)}.");
            else if (!seen.Add((taint.Key, taint.Effect)))
                problems.Add($"taint '{shown}': the same key and effect are given twice.");
        }
        return problems;
    }

    /// <summary>
    /// A taint as kubectl writes it, <c>key[=value]:Effect</c> (e.g. <c>dedicated=gpu:NoSchedule</c>). The effect is
    /// matched ignoring case and returned in its canonical spelling.
    /// </summary>
    /// <exception cref="PacketClusterException"><c>InvalidTaint</c>.</exception>
    public static Taint ParseTaint(string text)
    {
        var colon = text.LastIndexOf(':');
        var effect = colon < 0 ? null : Effects.FirstOrDefault(e => string.Equals(e, text[(colon + 1)..].Trim(), StringComparison.OrdinalIgnoreCase));
        if (colon <= 0 || effect is null)
            throw new PacketClusterException("InvalidTaint", ErrorKind.InvalidArgument,
                $"Taint '{text}' is not of the form key[=value]:Effect with Effect one of {string.Join(", ", Effects)} (e.g. dedicated=gpu:NoSchedule).", "Write each taint as key=value:Effect or key:Effect, for example -Taint 'dedicated=gpu:NoSchedule'.", text);
        var keyValue = text[..colon].Trim();
        var eq = keyValue.IndexOf('=');
        return new Taint
        {
            Key = eq < 0 ? keyValue : keyValue[..eq],
            Value = eq < 0 ? null : keyValue[(eq + 1)..],
            Effect = effect,
        };
    }

    /// <summary><c>key[=value]:Effect</c>.</summary>
    public static string Format(Taint taint) =>
        $"{taint.Key}{(string.IsNullOrEmpty(taint.Value) ? "" : "=" + taint.Value)}:{taint.Effect}";

    private static string? KeyProblem(string key)
    {
        if (string.IsNullOrEmpty(key)) return "the key is empty.";
        var slash = key.IndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        if (slash >= 0)
        {
            var prefix = key[..slash];
            if (prefix.Length == 0 || prefix.Length > 253 || !DnsSubdomain().IsMatch(prefix))
                return $"the prefix '{prefix}' must be a lowercase DNS name such as example.com.";
        }
        if (name.Length == 0 || name.Length > 63 || !QualifiedName().IsMatch(name))
            return "the name must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.";
        return null;
    }

    private static string? ValueProblem(string value) =>
        value.Length == 0 || (value.Length <= 63 && QualifiedName().IsMatch(value)) ? null
        : "must be empty or at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit.";

    private static bool IsRestricted(string key)
    {
        var slash = key.IndexOf('/');
        if (slash < 0) return false;
        var prefix = key[..slash];
        bool In(string ns) => prefix == ns || prefix.EndsWith("." + ns, StringComparison.Ordinal);
        if (!In("kubernetes.io") && !In("k8s.io")) return false;
        if (AllowedKubeletLabels.Contains(key, StringComparer.Ordinal)) return false;
        return !AllowedKubeletNamespaces.Any(In);
    }
}
