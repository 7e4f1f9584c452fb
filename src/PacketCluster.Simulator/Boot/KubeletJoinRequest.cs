namespace PacketCluster.Simulator.Boot;

/// <summary>
/// What a booted machine's simulated kubelet needs to become a Node, as kubeadm would hand it to a real kubelet.
/// Either bootstrap-token mode (<see cref="Token"/> + <see cref="CaCertHashes"/>, as <c>kubeadm join</c> does) or
/// client-certificate mode (<see cref="ClientCertificatePem"/>/<see cref="ClientKeyPem"/> for <c>system:node:NAME</c>
/// and <see cref="CaCertificatePem"/>, as on the control plane <c>kubeadm init</c> set up).
/// </summary>
public sealed record KubeletJoinRequest
{
    /// <summary>The Node's name (kubeadm: nodeRegistration.name, else the hostname).</summary>
    public required string NodeName { get; init; }

    /// <summary><c>packet://&lt;device-id&gt;</c>.</summary>
    public required string ProviderId { get; init; }

    /// <summary>Labels the kubelet registers with (nodeRegistration.kubeletExtraArgs node-labels, plus the usual hostname/os/arch ones).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>Node addresses: ("ExternalIP"|"InternalIP"|"Hostname", value).</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Addresses { get; init; } = [];

    /// <summary>host:port of the API server (JoinConfiguration discovery.bootstrapToken.apiServerEndpoint).</summary>
    public required string ApiServerEndpoint { get; init; }

    /// <summary>Bootstrap token "abcdef.0123456789abcdef" (token mode).</summary>
    public string? Token { get; init; }

    /// <summary>"sha256:&lt;hex of the CA's SubjectPublicKeyInfo&gt;" pins (token mode).</summary>
    public IReadOnlyList<string> CaCertHashes { get; init; } = [];

    /// <summary>discovery.bootstrapToken.unsafeSkipCAVerification.</summary>
    public bool UnsafeSkipCaVerification { get; init; }

    /// <summary>How long discovery keeps trying (kubeadm's discovery timeout); null: the kubelet options' own.</summary>
    public TimeSpan? DiscoveryTimeout { get; init; }

    /// <summary>Taints the kubelet registers the Node with (kubelet --register-with-taints; kubeadm's control-plane taint).</summary>
    public IReadOnlyList<k8s.Models.V1Taint> Taints { get; init; } = [];

    /// <summary>CPU and memory from the device's plan; null: <see cref="Kubelet.NodeCapacity.Default"/>.</summary>
    public Kubelet.NodeCapacity? Capacity { get; init; }

    /// <summary>The machine's file system, where real containers get their root folders and pod logs are kept; null: no real containers.</summary>
    public MachineRoot? Root { get; init; }

    /// <summary>Client-certificate mode: the node's credentials and the cluster CA.</summary>
    public string? ClientCertificatePem { get; init; }
    public string? ClientKeyPem { get; init; }
    public string? CaCertificatePem { get; init; }
}

/// <summary>A device's console: what a person on the serial console of a real machine would read. Thread-safe.</summary>
public interface IConsoleLog
{
    void WriteLine(string line);
}
