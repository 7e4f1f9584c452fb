using System.Reflection;
using System.Runtime.Loader;

namespace PacketCluster;

/// <summary>
/// Private load context for the engine and its dependencies (KubernetesClient, YamlDotNet, BouncyCastle),
/// so another module's copy of, say, YamlDotNet in the Default context never clashes with ours.
/// </summary>
internal sealed class DependencyLoadContext : AssemblyLoadContext
{
    private readonly string _directory;

    public DependencyLoadContext(string directory) : base("PacketCluster.Dependencies", isCollectible: false) => _directory = directory;

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = Path.Combine(_directory, assemblyName.Name + ".dll");
        // null falls back to Default: the BCL, System.Management.Automation and PacketCluster.Models
        // (one type identity for the public models).
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
