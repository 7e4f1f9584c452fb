namespace PacketCluster.Engine.Bootstrap;

/// <summary>
/// Everything one machine's userdata needs, known at create time: the userdata asks the metadata service for
/// nothing kubeadm needs. Holds key material and tokens: <see cref="ToString"/> leaves them out, and so does every
/// validation message.
/// </summary>
public sealed class UserdataRequest
{
    public const int DefaultControlPlanePort = 6443;

    /// <summary>A bootstrap token's lifetime when not set: long enough for a slow device to provision and join.</summary>
    public static readonly TimeSpan DefaultBootstrapTokenTtl = TimeSpan.FromHours(2);

    public required MachineRole Role { get; init; }
    public required string ClusterName { get; init; }

    /// <summary>The node name (and hostname), a lowercase DNS name.</summary>
    public required string NodeName { get; init; }

    /// <summary><c>packet://&lt;device id&gt;</c> when the device id is already known; passed to the kubelet as <c>--provider-id</c>.</summary>
    public string? ProviderId { get; init; }

    /// <summary>
    /// Labels the kubelet registers its Node with (<c>--node-labels</c> through kubeadm's kubeletExtraArgs): the
    /// Machine's spec.metadata.labels, which a MachineDeployment's template gives every replica (node pools).
    /// </summary>
    public IReadOnlyDictionary<string, string> NodeLabels { get; init; } = new Dictionary<string, string>();

    /// <summary>Taints the Node registers with (kubeadm's nodeRegistration.taints): the Machine's spec.taints.</summary>
    public IReadOnlyList<Models.ClusterApi.Taint> NodeTaints { get; init; } = [];

    /// <summary>The Kubernetes version without a leading "v", e.g. "1.20.2": the kubelet version, and the control-plane version of a control plane.</summary>
    public required string KubernetesVersion { get; init; }

    /// <summary>The machine's OS slug, e.g. "ubuntu_22_04"; with the version it selects the catalogue entry.</summary>
    public required string Image { get; init; }

    /// <summary>The container runtime package; null takes the catalogue entry's <c>containerRuntime</c>.</summary>
    public string? ContainerRuntime { get; init; }

    /// <summary>The control-plane endpoint (the cluster's elastic IP or a DNS name): the API server address in every kubeconfig.</summary>
    public required string ControlPlaneEndpointHost { get; init; }
    public int ControlPlaneEndpointPort { get; init; } = DefaultControlPlanePort;

    public required string PodCidr { get; init; }
    public required string ServiceCidr { get; init; }
    public string DnsDomain { get; init; } = "cluster.local";

    /// <summary>The Machine object's namespace and name; only the seed's shell header uses them (<c>NAMESPACE</c>, <c>MACHINE</c>).</summary>
    public string MachineNamespace { get; init; } = "default";
    public string? MachineName { get; init; }

    // Control plane (first or joining): the CAs and the service-account key pair kubeadm init must use instead of
    // generating its own, and that kubeadm join of a further control plane requires to be on disk already.
    public string? CaCertificatePem { get; init; }
    public string? CaKeyPem { get; init; }
    public string? EtcdCaCertificatePem { get; init; }
    public string? EtcdCaKeyPem { get; init; }
    public string? FrontProxyCaCertificatePem { get; init; }
    public string? FrontProxyCaKeyPem { get; init; }
    public string? ServiceAccountPublicKeyPem { get; init; }
    public string? ServiceAccountPrivateKeyPem { get; init; }

    /// <summary>
    /// Control plane: bootstrap tokens ("id.secret") kubeadm init creates, one per initial worker plus its own. A
    /// token can get a certificate for any node name, so each machine gets its own.
    /// </summary>
    public IReadOnlyList<string> BootstrapTokens { get; init; } = [];
    public TimeSpan BootstrapTokenTtl { get; init; } = DefaultBootstrapTokenTtl;

    /// <summary>Worker or joining control plane: its own bootstrap token ("id.secret").</summary>
    public string? JoinToken { get; init; }

    /// <summary>Worker or joining control plane: the cluster CA's public-key pin, "sha256:&lt;hex of the DER SubjectPublicKeyInfo&gt;".</summary>
    public string? CaCertHash { get; init; }

    internal string EffectiveMachineName => string.IsNullOrEmpty(MachineName) ? NodeName : MachineName;

    /// <summary>Names only: never key material or tokens.</summary>
    public override string ToString() =>
        $"UserdataRequest {{ Role = {Role}, ClusterName = {ClusterName}, NodeName = {NodeName}, Image = {Image}, " +
        $"KubernetesVersion = {KubernetesVersion}, Endpoint = {ControlPlaneEndpointHost}:{ControlPlaneEndpointPort}, " +
        $"BootstrapTokens = {BootstrapTokens.Count}, JoinToken = {(JoinToken is null ? "none" : "set")} }}";
}
