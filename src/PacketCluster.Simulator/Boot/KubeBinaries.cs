namespace PacketCluster.Simulator.Boot;

/// <summary>
/// Where a simulated control plane's binaries are: kube-apiserver, kube-controller-manager and kube-scheduler 1.20.2 in the cache
/// build/kube-binaries.sh fills (<c>PACKETCLUSTER_KUBE_CACHE</c>, default ~/.cache/packetcluster/kube-1.20.2) and
/// Debian's etcd at /usr/bin/etcd. The same rule as the build script and the engine tests' fixture.
/// </summary>
public sealed class KubeBinaries
{
    public const string CacheVariable = "PACKETCLUSTER_KUBE_CACHE";
    public const string Version = "v1.20.2";
    public const string BuildHint = "run ./build.sh KubeBinaries (or build/kube-binaries.sh)";

    public KubeBinaries(string directory, string etcd = "/usr/bin/etcd")
    {
        Directory = directory;
        Etcd = etcd;
    }

    public string Directory { get; }
    public string KubeApiserver => Path.Combine(Directory, "kube-apiserver");
    public string KubeControllerManager => Path.Combine(Directory, "kube-controller-manager");
    public string KubeScheduler => Path.Combine(Directory, "kube-scheduler");
    public string Etcd { get; }

    public static string DefaultDirectory =>
        Environment.GetEnvironmentVariable(CacheVariable) is { Length: > 0 } overridden
            ? overridden
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "packetcluster", "kube-1.20.2");

    public static KubeBinaries Default() => new(DefaultDirectory);

    public IReadOnlyList<string> Missing() =>
        new[] { Etcd, KubeApiserver, KubeControllerManager, KubeScheduler }.Where(path => !File.Exists(path)).ToList();
}
