using Newtonsoft.Json;

namespace PacketCluster.Models.ClusterApi;

/// <summary>cluster.k8s.io/v1alpha1 MachineDeployment.</summary>
public sealed partial class MachineDeployment : ResourceObject
{
    public MachineDeployment() { ApiVersion = ClusterApiVersion; Kind = "MachineDeployment"; }
    public MachineDeploymentSpec Spec { get; set; } = new();
    public MachineDeploymentStatus? Status { get; set; }
}

public sealed class MachineDeploymentSpec
{
    public int? Replicas { get; set; }
    [JsonIgnore] public LabelSelector? Selector { get; set; }
    [JsonIgnore] public MachineTemplateSpec? Template { get; set; }
    public MachineDeploymentStrategy? Strategy { get; set; }
    public int? MinReadySeconds { get; set; }
    public int? RevisionHistoryLimit { get; set; }
    public bool? Paused { get; set; }
    public int? ProgressDeadlineSeconds { get; set; }

    public override string ToString() =>
        string.Join(", ", new[] { $"{Replicas ?? 1} replicas", Template?.Spec?.ToString(), Strategy?.ToString(), Paused == true ? "paused" : null }.Where(p => !string.IsNullOrEmpty(p)));
}

public sealed class MachineDeploymentStrategy
{
    public string? Type { get; set; }
    [JsonIgnore] public MachineRollingUpdateDeployment? RollingUpdate { get; set; }

    /// <summary>rollingUpdate.maxSurge, flat (ConvertTo-Json shows it at its default depth).</summary>
    public string? MaxSurge => RollingUpdate?.MaxSurge;

    /// <summary>rollingUpdate.maxUnavailable, flat.</summary>
    public string? MaxUnavailable => RollingUpdate?.MaxUnavailable;

    public override string ToString() => RollingUpdate is null ? Type ?? string.Empty : $"{Type} ({RollingUpdate})";
}

/// <summary>maxSurge / maxUnavailable are IntOrString in Kubernetes; kept as their text.</summary>
public sealed class MachineRollingUpdateDeployment
{
    public string? MaxUnavailable { get; set; }
    public string? MaxSurge { get; set; }
    public override string ToString() => $"maxSurge {MaxSurge}, maxUnavailable {MaxUnavailable}";
}

public sealed class MachineDeploymentStatus
{
    /// <summary>The label selector as a string, for the scale subresource (kubectl scale, autoscalers).</summary>
    public string? Selector { get; set; }
    public long? ObservedGeneration { get; set; }
    public int? Replicas { get; set; }
    public int? UpdatedReplicas { get; set; }
    public int? ReadyReplicas { get; set; }
    public int? AvailableReplicas { get; set; }
    public int? UnavailableReplicas { get; set; }
    public override string ToString() => $"{ReadyReplicas ?? 0}/{Replicas ?? 0} ready, {UpdatedReplicas ?? 0} updated";
}
