namespace PacketCluster.Engine.Api;

/// <summary>The four files of a cluster definition, named as the seed's generate-yaml.sh named them.</summary>
public sealed record ClusterConfigFiles(string ClusterFile, string MachinesFile, string? ProviderComponentsFile, string? AddonsFile)
{
    public const string Cluster = "cluster.yaml";
    public const string Machines = "machines.yaml";
    public const string ProviderComponents = "provider-components.yaml";
    public const string Addons = "addons.yaml";

    public static ClusterConfigFiles InDirectory(string directory) => new(
        Path.Combine(directory, Cluster), Path.Combine(directory, Machines),
        Path.Combine(directory, ProviderComponents), Path.Combine(directory, Addons));

    public IEnumerable<string> All => new[] { ClusterFile, MachinesFile, ProviderComponentsFile, AddonsFile }.OfType<string>();
}
