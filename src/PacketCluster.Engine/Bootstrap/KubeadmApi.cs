namespace PacketCluster.Engine.Bootstrap;

/// <summary>Which kubeadm config API a Kubernetes minor reads, and how that API spells things.</summary>
internal sealed record KubeadmApi(string Version)
{
    public static readonly KubeadmApi V1Beta1 = new("kubeadm.k8s.io/v1beta1");
    public static readonly KubeadmApi V1Beta2 = new("kubeadm.k8s.io/v1beta2");
    public static readonly KubeadmApi V1Beta3 = new("kubeadm.k8s.io/v1beta3");
    public static readonly KubeadmApi V1Beta4 = new("kubeadm.k8s.io/v1beta4");

    /// <summary>v1beta4 (Kubernetes 1.31+) turned extraArgs and kubeletExtraArgs from maps into lists of {name, value}.</summary>
    public bool ArgsAsList => this == V1Beta4;

    /// <summary>From v1beta3 (1.22+) kubeadm wants the CRI socket as a URL; earlier versions take a path.</summary>
    public bool SocketAsUrl => this == V1Beta3 || this == V1Beta4;

    /// <summary>v1beta4 moved JoinConfiguration's discovery.timeout to timeouts.discovery.</summary>
    public bool TimeoutsSection => this == V1Beta4;

    /// <summary>1.14 → v1beta1; 1.15–1.21 → v1beta2; 1.22–1.30 → v1beta3; 1.31+ → v1beta4.</summary>
    public static KubeadmApi ForKubernetes(string version)
    {
        var parts = version.Split('.');
        if (parts.Length < 2 || !int.TryParse(parts[0], out var major) || !int.TryParse(parts[1], out var minor) || major != 1 || minor < 14)
        {
            throw new PacketClusterException("UnsupportedKubernetesVersion", ErrorKind.InvalidArgument,
                $"Kubernetes {version} is not supported: PacketCluster renders kubeadm configs for 1.14 and later.",
                "Use Kubernetes 1.14 or later; Get-PacketMachineConfig lists the versions on offer.", version);
        }
        return minor switch
        {
            14 => V1Beta1,
            <= 21 => V1Beta2,
            <= 30 => V1Beta3,
            _ => V1Beta4,
        };
    }
}
