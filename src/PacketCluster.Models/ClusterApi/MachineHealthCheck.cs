using Newtonsoft.Json;

namespace PacketCluster.Models.ClusterApi;

/// <summary>
/// cluster.k8s.io/v1alpha1 MachineHealthCheck, in Cluster API's shape: which Machines of a cluster it watches
/// (selector), when their Node counts as unhealthy (unhealthyConditions, nodeStartupTimeout), and how many may be
/// unhealthy at once before remediation stops (maxUnhealthy). An unhealthy Machine that a MachineSet owns is deleted so
/// the set makes a replacement; others are only reported.
/// </summary>
public sealed class MachineHealthCheck : ResourceObject
{
    public MachineHealthCheck() { ApiVersion = ClusterApiVersion; Kind = "MachineHealthCheck"; }
    public MachineHealthCheckSpec Spec { get; set; } = new();
    public MachineHealthCheckStatus? Status { get; set; }

    /// <summary>The cluster the health check watches (spec.clusterName).</summary>
    public string? ClusterName => Spec.ClusterName;

    /// <summary>The Machines it watches, as label=value pairs.</summary>
    public string Selector => Spec.Selector?.ToString() ?? string.Empty;

    /// <summary>The unhealthy conditions as text, e.g. <c>Ready=Unknown 300s, Ready=False 300s</c>.</summary>
    public string UnhealthyConditions => Spec.UnhealthyConditions is { Count: > 0 } conditions ? string.Join(", ", conditions) : string.Empty;

    /// <summary>spec.nodeStartupTimeout (a duration such as 10m).</summary>
    public string? NodeStartupTimeout => Spec.NodeStartupTimeout;

    /// <summary>spec.maxUnhealthy: a count (2) or a percentage of the watched machines (40%).</summary>
    public string? MaxUnhealthy => Spec.MaxUnhealthy;

    /// <summary>How many Machines it watches (status.expectedMachines).</summary>
    public int? Expected => Status?.ExpectedMachines;

    /// <summary>How many of them are healthy (status.currentHealthy).</summary>
    public int? Healthy => Status?.CurrentHealthy;

    /// <summary>Machines deleted for a replacement so far (status.remediations).</summary>
    public int Remediations => Status?.Remediations ?? 0;

    /// <summary>Whether remediation may run now, or why not (the RemediationAllowed condition: TooManyUnhealthy, NodesUnavailable, …).</summary>
    public string? Remediation => Status?.Conditions?.FirstOrDefault(c => c.Type == "RemediationAllowed") is { } c
        ? c.Status == "True" ? "allowed" : c.Reason
        : null;

    /// <summary>The Machines found unhealthy on the last pass, as name (reason).</summary>
    public string Unhealthy => Status?.UnhealthyMachines is { Count: > 0 } list ? string.Join(", ", list) : string.Empty;
}

public sealed class MachineHealthCheckSpec
{
    /// <summary>The cluster whose Machines are checked.</summary>
    public string? ClusterName { get; set; }

    /// <summary>The Machines to check (matchLabels; an empty selector checks nothing).</summary>
    [JsonIgnore] public LabelSelector? Selector { get; set; }

    /// <summary>Node conditions that make a Machine unhealthy once they have held for their timeout. Any one suffices.</summary>
    [JsonIgnore] public List<UnhealthyCondition>? UnhealthyConditions { get; set; }

    /// <summary>How long a Machine whose device is active may go without a Node before it is unhealthy (Go duration: 10m, 90s).</summary>
    public string? NodeStartupTimeout { get; set; }

    /// <summary>At most this many (a count) or this share (a percentage) of the checked Machines may be unhealthy for remediation to run.</summary>
    public string? MaxUnhealthy { get; set; }

    public override string ToString() =>
        $"{Selector}; {(UnhealthyConditions is { Count: > 0 } c ? string.Join(", ", c) : "no conditions")}; startup {NodeStartupTimeout}; maxUnhealthy {MaxUnhealthy}";
}

/// <summary>A Node condition (type and status) that, held for longer than the timeout, makes the Machine unhealthy.</summary>
public sealed class UnhealthyCondition
{
    public string? Type { get; set; }
    public string? Status { get; set; }
    /// <summary>A Go duration (300s, 5m).</summary>
    public string? Timeout { get; set; }
    public override string ToString() => $"{Type}={Status} {Timeout}";
}

public sealed class MachineHealthCheckStatus
{
    public int? ExpectedMachines { get; set; }
    public int? CurrentHealthy { get; set; }
    /// <summary>How many more Machines may be remediated now before maxUnhealthy stops it.</summary>
    public int? RemediationsAllowed { get; set; }
    /// <summary>Machines deleted for a replacement since the health check was made.</summary>
    public int? Remediations { get; set; }
    public long? ObservedGeneration { get; set; }
    /// <summary>The checked Machines' names.</summary>
    [JsonIgnore] public List<string>? Targets { get; set; }
    /// <summary>The unhealthy ones on the last pass, as <c>name (reason)</c>.</summary>
    [JsonIgnore] public List<string>? UnhealthyMachines { get; set; }
    /// <summary>Per owner (MachineSet), the replacements made for a failure of the machines' configuration, which back off.</summary>
    [JsonIgnore] public List<ConfigurationFailureBackoff>? ConfigurationFailures { get; set; }
    /// <summary>Control planes removed for being unhealthy whose replacement is made once they are gone (etcd membership first, then the new one joins).</summary>
    [JsonIgnore] public List<ControlPlaneReplacement>? ControlPlaneReplacements { get; set; }
    [JsonIgnore] public List<Condition>? Conditions { get; set; }

    public override string ToString() => $"{CurrentHealthy ?? 0}/{ExpectedMachines ?? 0} healthy, {Remediations ?? 0} remediated";
}

/// <summary>
/// Machines of one owner that did not join because of their configuration (a CA pin, an endpoint, a bootstrap token):
/// a replacement from the same template would likely fail the same way, so each further one waits twice as long.
/// </summary>
public sealed class ConfigurationFailureBackoff
{
    /// <summary>The MachineSet whose machines failed.</summary>
    public string? Owner { get; set; }
    /// <summary>The failure reason last seen (CaPinMismatch, EndpointMismatch, BootstrapTokenNotFound).</summary>
    public string? Reason { get; set; }
    /// <summary>Replacements made so far for such failures.</summary>
    public int Replacements { get; set; }
    /// <summary>No further replacement for such a failure before this time.</summary>
    public DateTimeOffset? NotBefore { get; set; }
    public override string ToString() => $"{Owner}: {Reason}, {Replacements} replaced, next not before {NotBefore:u}";
}

/// <summary>An unhealthy control plane being removed, and the name its replacement gets once it is gone.</summary>
public sealed class ControlPlaneReplacement
{
    public string? Removed { get; set; }
    public string? Replacement { get; set; }
    public override string ToString() => $"{Removed} -> {Replacement}";
}
