namespace PacketCluster.Simulator.Boot.Pods;

/// <summary>How the simulated kubelet runs a container of an image.</summary>
public abstract record ImageRun
{
    /// <summary>kwok-style: the container is reported running and ready; nothing is executed.</summary>
    public sealed record Simulated : ImageRun;

    /// <summary>A real process: the image's entrypoint is this executable on the simulator's machine.</summary>
    public sealed record Process(string Executable, string Entrypoint, IReadOnlyDictionary<string, string> Environment) : ImageRun;

    /// <summary>An image that should run for real but cannot here; the container waits with this reason and message.</summary>
    public sealed record Unavailable(string Reason, string Message) : ImageRun;
}

/// <summary>
/// The simulator's image store. Every image is simulated except the PacketCluster manager's, whose entrypoint is the
/// real <c>PacketCluster.Manager</c> program named by <see cref="ManagerPathVariable"/> (the repository's build sets it
/// to the manager it built). Without it the manager's pods wait with <c>ErrImagePull</c> rather than pretend to run:
/// a simulated manager would report a cluster as self-managing while nothing manages it.
/// </summary>
public sealed class ContainerImages
{
    /// <summary>The repository the provider components name (ProviderComponents.ManagerImageRepository in the engine).</summary>
    public const string ManagerRepository = "ghcr.io/packetcluster/manager";

    public const string ManagerPathVariable = "PACKETCLUSTER_MANAGER_PATH";

    /// <summary>The image's ENTRYPOINT (src/PacketCluster.Manager/Dockerfile).</summary>
    public const string ManagerEntrypoint = "/app/PacketCluster.Manager";

    /// <summary>The image's ENV, less PATH (the kubelet sets a container's PATH).</summary>
    private static readonly IReadOnlyDictionary<string, string> ManagerImageEnvironment = new Dictionary<string, string>
    {
        ["MALLOC_ARENA_MAX"] = "2",
        ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1",
    };

    private readonly string? _managerExecutable;

    public ContainerImages(string? managerExecutable) => _managerExecutable = string.IsNullOrWhiteSpace(managerExecutable) ? null : managerExecutable;

    /// <summary>Nothing runs for real (every image simulated, the manager's unavailable).</summary>
    public static ContainerImages None { get; } = new(null);

    public static ContainerImages FromEnvironment() => new(Environment.GetEnvironmentVariable(ManagerPathVariable));

    public string? ManagerExecutable => _managerExecutable;

    public ImageRun Resolve(string? image)
    {
        if (!string.Equals(Repository(image), ManagerRepository, StringComparison.Ordinal)) return new ImageRun.Simulated();
        if (_managerExecutable is null)
            return new ImageRun.Unavailable("ErrImagePull",
                $"the simulator runs {ManagerRepository} as a real process and has no executable for it: set {ManagerPathVariable} to a built PacketCluster.Manager " +
                "(./build.sh sets it for its tasks) and restart the simulator");
        if (!File.Exists(_managerExecutable))
            return new ImageRun.Unavailable("ErrImagePull", $"{ManagerPathVariable} names {_managerExecutable}, which does not exist");
        return new ImageRun.Process(_managerExecutable, ManagerEntrypoint, ManagerImageEnvironment);
    }

    /// <summary>"ghcr.io/packetcluster/manager:0.1.0" or "…@sha256:…" → "ghcr.io/packetcluster/manager".</summary>
    internal static string Repository(string? image)
    {
        if (string.IsNullOrEmpty(image)) return "";
        var at = image.IndexOf('@');
        if (at >= 0) image = image[..at];
        var slash = image.LastIndexOf('/');
        var colon = image.LastIndexOf(':');
        return colon > slash ? image[..colon] : image;
    }
}
