namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>
/// Where the control-plane binaries live: kube-apiserver and kube-controller-manager 1.20.2 built by
/// build/kube-binaries.sh into a cache outside the repository, etcd from Debian's etcd-server package.
/// </summary>
public sealed class KubeBinaries
{
    public const string CacheVariable = "PACKETCLUSTER_KUBE_CACHE";
    private const string EtcdPath = "/usr/bin/etcd";

    private KubeBinaries(string directory)
    {
        Directory = directory;
    }

    public string Directory { get; }
    public string KubeApiserver => Path.Combine(Directory, "kube-apiserver");
    public string KubeControllerManager => Path.Combine(Directory, "kube-controller-manager");
    public string Kubeadm => Path.Combine(Directory, "kubeadm");
    public string Etcd => EtcdPath;

    /// <summary>Finds the binaries or throws: integration tests fail loudly instead of skipping, so CI cannot go green without them.</summary>
    public static KubeBinaries Locate()
    {
        var directory = Environment.GetEnvironmentVariable(CacheVariable) is { Length: > 0 } overridden
            ? overridden
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "packetcluster", "kube-1.20.2");
        var binaries = new KubeBinaries(directory);

        var missing = new[] { binaries.KubeApiserver, binaries.KubeControllerManager, binaries.Kubeadm, binaries.Etcd }
            .Where(path => !File.Exists(path))
            .ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException(
                $"Missing Kubernetes test binaries: {string.Join(", ", missing)}. Run build/kube-binaries.sh " +
                $"(builds kube-apiserver, kube-controller-manager and kubeadm 1.20.2 into {directory} and installs etcd-server; " +
                $"set {CacheVariable} to use another directory).");
        return binaries;
    }
}
