namespace PacketCluster.Models.ClusterApi;

/// <summary>
/// Flat, read-only views of a MachineDeployment (a node pool) for the table view, Where-Object, Sort-Object and
/// Export-Csv, and for piping to Set-/Remove-PacketMachineDeployment by property name. Not part of the wire format
/// (the codec skips read-only properties).
/// </summary>
public sealed partial class MachineDeployment
{
    private PacketMachineProviderSpec? Provider => Spec.Template?.Spec?.ProviderSpec?.Value;

    /// <summary>The cluster the pool belongs to (its cluster.k8s.io/cluster-name label).</summary>
    public string? ClusterName => Metadata.Labels is { } labels && labels.TryGetValue("cluster.k8s.io/cluster-name", out var name) ? name : null;

    /// <summary>The MachineDeployment's name again, so a piped pool binds Set-PacketMachineDeployment's -DeploymentName.</summary>
    public string DeploymentName => Name;

    /// <summary>The workers wanted (spec.replicas; 1 when unset).</summary>
    public int Replicas => Spec.Replicas ?? 1;

    /// <summary>The workers whose Node is Ready (status.readyReplicas).</summary>
    public int ReadyReplicas => Status?.ReadyReplicas ?? 0;

    /// <summary>The workers' plan (machine type), e.g. c3.small.x86.</summary>
    public string? Plan => Provider?.MachineType;

    /// <summary>The workers' operating system slug.</summary>
    public string? OperatingSystem => Provider?.OS;

    /// <summary>The workers' Kubernetes (kubelet) version.</summary>
    public string? KubernetesVersion => Spec.Template?.Spec?.Versions?.Kubelet;

    /// <summary>Where the workers run: "metro sv" or a facility code; empty when they follow the cluster's location.</summary>
    public string? Location => !string.IsNullOrEmpty(Provider?.Metro) ? "metro " + Provider.Metro : Provider?.Facility is { Count: > 0 } f ? string.Join(",", f) : null;

    /// <summary>True for a pool of spot instances.</summary>
    public bool SpotInstance => Provider?.SpotInstance == true;

    /// <summary>The labels every worker's Node registers with (spec.template.spec.metadata.labels).</summary>
    public IReadOnlyDictionary<string, string> NodeLabels => Spec.Template?.Spec?.Metadata?.Labels ?? new Dictionary<string, string>();

    /// <summary>The taints every worker's Node registers with, as key[=value]:Effect.</summary>
    public string[] NodeTaints => Spec.Template?.Spec?.Taints?.Select(t => $"{t.Key}{(string.IsNullOrEmpty(t.Value) ? "" : "=" + t.Value)}:{t.Effect}").ToArray() ?? [];
}
