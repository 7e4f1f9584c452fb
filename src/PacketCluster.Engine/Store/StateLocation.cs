namespace PacketCluster.Engine.Store;

/// <summary>
/// Where cluster state lives on disk (PRODUCT.md §2): <c>-StatePath</c>, else <c>PACKETCLUSTER_HOME</c>, else
/// <c>$HOME/.packetcluster</c>; one folder per cluster below that root.
/// </summary>
public static class StateLocation
{
    public const string HomeVariable = "PACKETCLUSTER_HOME";
    public const string DefaultFolderName = ".packetcluster";

    /// <summary>The state root: <paramref name="explicitPath"/> if given, else PACKETCLUSTER_HOME, else $HOME/.packetcluster. Always a full path.</summary>
    public static string ResolveRoot(string? explicitPath) => ResolveRoot(explicitPath, Environment.GetEnvironmentVariable);

    /// <summary>As <see cref="ResolveRoot(string?)"/>, reading environment variables through <paramref name="getEnvironmentVariable"/> (tests).</summary>
    public static string ResolveRoot(string? explicitPath, Func<string, string?> getEnvironmentVariable)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath)) return Path.GetFullPath(explicitPath);
        var fromEnvironment = getEnvironmentVariable(HomeVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment)) return Path.GetFullPath(fromEnvironment);
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        if (string.IsNullOrEmpty(home))
            throw new PacketClusterException("StateRootUnknown", ErrorKind.InvalidOperation,
                $"Cannot find a home folder for the cluster state. Set {HomeVariable} or pass -StatePath.",
                "Set the HOME (or USERPROFILE) environment variable, or pass -StatePath.");
        return Path.Combine(home, DefaultFolderName);
    }

    /// <summary>The folder of one cluster: <c>&lt;root&gt;/&lt;clusterName&gt;</c>. The name is checked so it cannot escape the root.</summary>
    public static string ClusterDirectory(string root, string clusterName) =>
        Path.Combine(root, ResourceNames.CheckName(clusterName, "cluster"));

    /// <summary>
    /// In a pivoted cluster's folder: the kubeconfig (0600) of the cluster that now holds its objects. The folder keeps
    /// only this file, so every cmdlet finds the cluster again through it.
    /// </summary>
    public const string ManagementKubeconfigFileName = "management.kubeconfig";

    public static string ManagementKubeconfig(string clusterDirectory) => Path.Combine(clusterDirectory, ManagementKubeconfigFileName);

    public static bool IsPivoted(string clusterDirectory) => File.Exists(ManagementKubeconfig(clusterDirectory));

    /// <summary>
    /// In a pivoted cluster's folder: the cluster's unique identity, so Remove-PacketCluster can tell its devices from
    /// another cluster's of the same name even when the management cluster (often the cluster itself) no longer answers.
    /// </summary>
    public const string IdentityFileName = "cluster-uid";

    public static string IdentityFile(string clusterDirectory) => Path.Combine(clusterDirectory, IdentityFileName);

    /// <summary>The identity kept beside a pivoted cluster's management kubeconfig; null when none was kept (pivoted by an older version).</summary>
    public static string? ReadIdentity(string clusterDirectory)
    {
        var path = IdentityFile(clusterDirectory);
        if (!File.Exists(path)) return null;
        var text = File.ReadAllText(path).Trim();
        return Guid.TryParse(text, out _) ? text : null;
    }

    /// <summary>Names of the cluster folders under <paramref name="root"/> that hold a Cluster object or point at one (pivoted), sorted. A missing root has none.</summary>
    public static IReadOnlyList<string> ListClusterNames(string root)
    {
        if (!Directory.Exists(root)) return Array.Empty<string>();
        return Directory.EnumerateDirectories(root)
            .Where(d => FileStore.HoldsCluster(d) || IsPivoted(d))
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}
