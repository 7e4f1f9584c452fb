using System.Globalization;
using System.Text.RegularExpressions;
using PacketCluster.Engine.Api;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// What a MachineHealthCheck's spec means and when it is valid: Go durations (<c>300s</c>, <c>5m</c>, <c>1h30m</c>, as
/// Cluster API writes them), maxUnhealthy as a count or a percentage, and the default health check New-PacketCluster
/// makes for a cluster's workers.
/// </summary>
public static partial class HealthCheckRules
{
    /// <summary>Node Ready Unknown (the node lifecycle controller lost its heartbeats) or False for this long: unhealthy.</summary>
    public static readonly TimeSpan DefaultConditionTimeout = TimeSpan.FromMinutes(5);

    /// <summary>An active device's machine without a Node this long after it became active: unhealthy.</summary>
    public static readonly TimeSpan DefaultNodeStartupTimeout = TimeSpan.FromMinutes(10);

    /// <summary>More unhealthy than this share of the workers points at something they share (partition, outage): stop.</summary>
    public const string DefaultMaxUnhealthy = "40%";

    /// <summary>The longest timeout accepted (a week): longer is almost certainly a typo, and would never act.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(7);

    /// <summary>The shortest timeout accepted: below it a node's ordinary heartbeat jitter would look like a failure.</summary>
    public static readonly TimeSpan MinTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The node statuses a condition can have.</summary>
    public static readonly IReadOnlyList<string> ConditionStatuses = ["True", "False", "Unknown"];

    /// <summary>The default health check's name: <c>&lt;cluster&gt;-workers</c>.</summary>
    public static string DefaultName(string clusterName) => clusterName + "-workers";

    /// <summary>The selector of every worker of a cluster (the labels New-PacketCluster and node pools give them).</summary>
    public static Dictionary<string, string> WorkerSelector(string clusterName) => new()
    {
        [ClusterValidation.ClusterNameLabel] = clusterName,
        ["set"] = "node",
    };

    /// <summary>The selector of a cluster's control planes.</summary>
    public static Dictionary<string, string> ControlPlaneSelector(string clusterName) => new()
    {
        [ClusterValidation.ClusterNameLabel] = clusterName,
        ["set"] = "master",
    };

    /// <summary>Ready Unknown or False for 5 minutes, node startup 10 minutes, maxUnhealthy 40 %, for every worker.</summary>
    public static MachineHealthCheck Default(string clusterName, string ns) => New(clusterName, DefaultName(clusterName), ns, WorkerSelector(clusterName),
        DefaultConditionTimeout, DefaultNodeStartupTimeout, DefaultMaxUnhealthy);

    public static MachineHealthCheck New(string clusterName, string name, string ns, Dictionary<string, string> selector,
        TimeSpan conditionTimeout, TimeSpan nodeStartupTimeout, string maxUnhealthy) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = name, Namespace = ns,
            Labels = new Dictionary<string, string> { [ClusterValidation.ClusterNameLabel] = clusterName },
        },
        Spec = new MachineHealthCheckSpec
        {
            ClusterName = clusterName,
            Selector = new LabelSelector { MatchLabels = selector },
            UnhealthyConditions =
            [
                new UnhealthyCondition { Type = "Ready", Status = "Unknown", Timeout = FormatDuration(conditionTimeout) },
                new UnhealthyCondition { Type = "Ready", Status = "False", Timeout = FormatDuration(conditionTimeout) },
            ],
            NodeStartupTimeout = FormatDuration(nodeStartupTimeout),
            MaxUnhealthy = maxUnhealthy,
        },
    };

    [GeneratedRegex(@"^(?:(\d+(?:\.\d+)?)(h|ms|m|s))+$", RegexOptions.CultureInvariant)]
    private static partial Regex GoDuration();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(h|ms|m|s)", RegexOptions.CultureInvariant)]
    private static partial Regex GoDurationPart();

    /// <summary>A Go duration (<c>300s</c>, <c>5m</c>, <c>1h30m</c>, <c>1500ms</c>); null when the text is not one.</summary>
    public static TimeSpan? ParseDuration(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text.Length > 32 || !GoDuration().IsMatch(text.Trim())) return null;
        var total = 0.0;
        foreach (Match part in GoDurationPart().Matches(text.Trim()))
        {
            var n = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            total += part.Groups[2].Value switch { "h" => n * 3600, "m" => n * 60, "s" => n, _ => n / 1000 };
        }
        return total > MaxTimeout.TotalSeconds * 10 ? null : TimeSpan.FromSeconds(total);
    }

    /// <summary>The shortest Go spelling: 5m, 90s, 1h30m, 1500ms.</summary>
    public static string FormatDuration(TimeSpan value)
    {
        if (value.Ticks % TimeSpan.TicksPerSecond != 0) return $"{(long)value.TotalMilliseconds}ms";
        var seconds = (long)value.TotalSeconds;
        var text = "";
        if (seconds >= 3600) { text += $"{seconds / 3600}h"; seconds %= 3600; }
        if (seconds >= 60) { text += $"{seconds / 60}m"; seconds %= 60; }
        if (seconds > 0 || text.Length == 0) text += $"{seconds}s";
        return text;
    }

    /// <summary>How many of <paramref name="total"/> machines may be unhealthy: a count as is, a percentage rounded down (Cluster API's rule).</summary>
    public static int? MaxUnhealthyOf(string? maxUnhealthy, int total)
    {
        var text = maxUnhealthy?.Trim();
        if (string.IsNullOrEmpty(text)) return total; // Cluster API: unset is 100 %.
        if (text.EndsWith('%'))
            return int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent) && percent <= 100 ? total * percent / 100 : null;
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) ? count : null;
    }

    /// <summary>What is wrong with a health check's spec, each with the field; empty when it can be acted on.</summary>
    public static IReadOnlyList<string> Problems(MachineHealthCheckSpec spec)
    {
        var problems = new List<string>();
        if (string.IsNullOrEmpty(spec.ClusterName)) problems.Add("spec.clusterName is empty.");
        if (spec.Selector?.MatchLabels is not { Count: > 0 })
            problems.Add("spec.selector.matchLabels is empty; a health check must say which Machines it checks (an empty selector would check none).");
        if (spec.UnhealthyConditions is not { Count: > 0 })
            problems.Add("spec.unhealthyConditions is empty; give at least one Node condition, e.g. type Ready, status Unknown, timeout 5m.");
        foreach (var (condition, i) in (spec.UnhealthyConditions ?? []).Select((c, i) => (c, i)))
        {
            if (string.IsNullOrWhiteSpace(condition.Type)) problems.Add($"spec.unhealthyConditions[{i}].type is empty.");
            if (!ConditionStatuses.Contains(condition.Status ?? "")) problems.Add($"spec.unhealthyConditions[{i}].status '{condition.Status}' is not True, False or Unknown.");
            if (TimeoutProblem(condition.Timeout) is { } timeout) problems.Add($"spec.unhealthyConditions[{i}].timeout: {timeout}");
        }
        if (spec.NodeStartupTimeout is not null && TimeoutProblem(spec.NodeStartupTimeout) is { } startup) problems.Add($"spec.nodeStartupTimeout: {startup}");
        if (spec.MaxUnhealthy is not null && MaxUnhealthyOf(spec.MaxUnhealthy, 100) is null)
            problems.Add($"spec.maxUnhealthy '{spec.MaxUnhealthy}' is neither a count (2) nor a percentage from 0% to 100% (40%).");
        return problems;
    }

    private static string? TimeoutProblem(string? text) =>
        ParseDuration(text) is not { } value ? $"'{text}' is not a duration such as 90s, 5m or 1h30m."
        : value < MinTimeout ? $"{text} is shorter than {FormatDuration(MinTimeout)}."
        : value > MaxTimeout ? $"{text} is longer than {MaxTimeout.TotalDays:0} days."
        : null;

    /// <summary>The node startup timeout in force (the default when unset).</summary>
    public static TimeSpan NodeStartupTimeout(MachineHealthCheckSpec spec) => ParseDuration(spec.NodeStartupTimeout) ?? DefaultNodeStartupTimeout;
}
