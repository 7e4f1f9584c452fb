namespace PacketCluster.Models.ClusterApi;

/// <summary>
/// Flat, read-only views of a MachineDeployment (a node pool) for the table view, Where-Object, Sort-Object and
/// Export-Csv, and for piping to Set-/Remove-PacketMachineDeployment by property name. Not part of the wire format
/// (the codec skips read-only properties).
/// </summary>
public sealed partial class MachineDeployment
{
    private PacketMachineProviderSpec? Provider => Spec.Template?.Spec?.ProviderSpec?.Value;

    /// <summary>The cluster the deployment belongs to (its cluster.k8s.io/cluster-name label).</summary>
    public string? ClusterName => Metadata.Labels is { } labels && labels.TryGetValue("cluster.k8s.io/cluster-name", out var name) ? name : null;

    /// <summary>How many machines the deployment asks for (spec.replicas; 1 when unset).</summary>
    public int Replicas => Spec.Replicas ?? 1;

    /// <summary>How many of its machines are ready (status.readyReplicas).</summary>
    public int ReadyReplicas => Status?.ReadyReplicas ?? 0;

    /// <summary>How many of its machines run the current template (status.updatedReplicas).</summary>
    public int UpdatedReplicas => Status?.UpdatedReplicas ?? 0;

    /// <summary>The device plan of its machines.</summary>
    public string? Plan => Spec.Template?.Spec?.ProviderSpec?.Value?.MachineType;

    /// <summary>The operating system slug of its machines.</summary>
    public string? OperatingSystem => Spec.Template?.Spec?.ProviderSpec?.Value?.OS;

    /// <summary>The Kubernetes version of its machines (kubelet).</summary>
    public string? Version => Spec.Template?.Spec?.Versions?.Kubelet;

    /// <summary>Always Worker: MachineDeployments make worker machines.</summary>
    public string Role => MachineRoles.Of(!string.IsNullOrEmpty(Spec.Template?.Spec?.Versions?.ControlPlane));

    /// <summary>The MachineDeployment's name again, so a piped pool binds Set-PacketMachineDeployment's -DeploymentName.</summary>
    public string DeploymentName => Name;

    /// <summary>Where the workers run: a metro code, else facility codes.</summary>
    public string? Location => !string.IsNullOrEmpty(Provider?.Metro) ? Provider.Metro : Provider?.Facility is { Count: > 0 } f ? string.Join(",", f) : null;

    /// <summary>True for a pool of spot instances.</summary>
    public bool SpotInstance => Provider?.SpotInstance == true;

    /// <summary>
    /// The labels the user gave every worker's Node, as key=value sorted by key (spec.template.spec.metadata.labels
    /// without the pool's own packetcluster.io/machine-deployment label, which every pool's Nodes carry and Name says).
    /// Text like NodeTaints, so the table shows them and -contains filters: Where-Object NodeLabels -contains 'gpu=true'.
    /// </summary>
    public string[] NodeLabels => (Spec.Template?.Spec?.Metadata?.Labels ?? new Dictionary<string, string>())
        .Where(l => l.Key != PoolLabel).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}").ToArray();

    /// <summary>The label that says which pool a worker's Node belongs to.</summary>
    public const string PoolLabel = "packetcluster.io/machine-deployment";

    /// <summary>The taints every worker's Node registers with, as key[=value]:Effect.</summary>
    public string[] NodeTaints => Spec.Template?.Spec?.Taints?.Select(t => $"{t.Key}{(string.IsNullOrEmpty(t.Value) ? "" : "=" + t.Value)}:{t.Effect}").ToArray() ?? [];
}
