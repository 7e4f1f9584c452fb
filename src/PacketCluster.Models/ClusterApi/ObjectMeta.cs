using Newtonsoft.Json;

namespace PacketCluster.Models.ClusterApi;

/// <summary>Kubernetes object metadata, the subset PacketCluster reads and writes.</summary>
public sealed class ObjectMeta
{
    public string? Name { get; set; }
    public string? GenerateName { get; set; }
    public string? Namespace { get; set; }
    public string? Uid { get; set; }
    public string? ResourceVersion { get; set; }
    public long? Generation { get; set; }
    public DateTimeOffset? CreationTimestamp { get; set; }
    public DateTimeOffset? DeletionTimestamp { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
    public List<string>? Finalizers { get; set; }
    [JsonIgnore] public List<OwnerReference>? OwnerReferences { get; set; }

    /// <summary>The controlling owner as Kind/Name (a MachineSet, MachineDeployment, …), or null.</summary>
    public string? Owner => (OwnerReferences?.FirstOrDefault(o => o.Controller == true) ?? OwnerReferences?.FirstOrDefault())?.ToString();

    public override string ToString()
    {
        var text = string.IsNullOrEmpty(Namespace) ? Name ?? GenerateName ?? string.Empty : $"{Namespace}/{Name ?? GenerateName}";
        if (Labels is { Count: > 0 }) text += " (" + string.Join(", ", Labels.Select(l => $"{l.Key}={l.Value}")) + ")";
        return text;
    }
}

/// <summary>A reference from a dependent object to its owner.</summary>
public sealed class OwnerReference
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Uid { get; set; }
    public bool? Controller { get; set; }
    public bool? BlockOwnerDeletion { get; set; }
    public override string ToString() => $"{Kind}/{Name}";
}

/// <summary>A reference to another object (Machine.status.nodeRef).</summary>
public sealed class ObjectReference
{
    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Namespace { get; set; }
    public string? Uid { get; set; }
    public override string ToString() => $"{Kind}/{Name}";
}

/// <summary>A label selector (matchLabels only; Cluster API v1alpha1 MachineSets use no expressions in practice).</summary>
public sealed class LabelSelector
{
    public Dictionary<string, string>? MatchLabels { get; set; }
    public override string ToString() => MatchLabels is null ? string.Empty : string.Join(",", MatchLabels.Select(l => $"{l.Key}={l.Value}"));
}

/// <summary>A condition in Cluster API style: what an object is waiting for, and why.</summary>
public sealed class Condition
{
    public string? Type { get; set; }
    public string? Status { get; set; }
    public string? Severity { get; set; }
    public string? Reason { get; set; }
    public string? Message { get; set; }
    public DateTimeOffset? LastTransitionTime { get; set; }
    public override string ToString() => $"{Type}={Status}{(string.IsNullOrEmpty(Reason) ? "" : " (" + Reason + ")")}";
}
