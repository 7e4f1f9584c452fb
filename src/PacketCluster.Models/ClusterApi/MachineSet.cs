namespace PacketCluster.Models.ClusterApi;

/// <summary>cluster.k8s.io/v1alpha1 MachineSet.</summary>
public sealed class MachineSet : ResourceObject
{
    public MachineSet() { ApiVersion = ClusterApiVersion; Kind = "MachineSet"; }
    public MachineSetSpec Spec { get; set; } = new();
    public MachineSetStatus? Status { get; set; }
}

public sealed class MachineSetSpec
{
    public int? Replicas { get; set; }
    public int? MinReadySeconds { get; set; }
    public string? DeletePolicy { get; set; }
    public LabelSelector? Selector { get; set; }
    public MachineTemplateSpec? Template { get; set; }
    public override string ToString() => $"{Replicas ?? 1} replicas, {Template}";
}

public sealed class MachineTemplateSpec
{
    public ObjectMeta? Metadata { get; set; }
    public MachineSpec? Spec { get; set; }
    public override string ToString() => Spec?.ToString() ?? string.Empty;
}

public sealed class MachineSetStatus
{
    /// <summary>The label selector as a string, for the scale subresource (kubectl scale, autoscalers).</summary>
    public string? Selector { get; set; }
    public int Replicas { get; set; }
    public int? FullyLabeledReplicas { get; set; }
    public int? ReadyReplicas { get; set; }
    public int? AvailableReplicas { get; set; }
    public long? ObservedGeneration { get; set; }
    public string? ErrorReason { get; set; }
    public string? ErrorMessage { get; set; }
    public override string ToString() => $"{ReadyReplicas ?? 0}/{Replicas} ready";
}
