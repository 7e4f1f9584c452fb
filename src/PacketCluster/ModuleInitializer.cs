using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace PacketCluster;

/// <summary>Routes the engine assembly, and only it, into <see cref="DependencyLoadContext"/>.</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    internal const string EngineAssemblyName = "PacketCluster.Engine";
    internal const string ModelsAssemblyName = "PacketCluster.Models";

    private static readonly string ModuleDirectory = Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!;
    private static readonly string DependencyDirectory = Path.Combine(ModuleDirectory, "Dependencies");

    private static readonly Lazy<DependencyLoadContext> LoadContext = new(() => new DependencyLoadContext(DependencyDirectory));

    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveEngine;

    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.Resolving -= ResolveEngine;

    // Default.Resolving sees every module's misses; answering only for our engine keeps our
    // dependencies from leaking to other modules. The public models live in Default (one type identity for scripts);
    // PowerShell finds them beside the module only on a pipeline thread, so engine work on the thread pool that first
    // touches a model type needs this answer too.
    private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name) => name.Name switch
    {
        EngineAssemblyName => LoadContext.Value.LoadFromAssemblyName(name),
        ModelsAssemblyName => AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.Combine(ModuleDirectory, ModelsAssemblyName + ".dll")),
        _ => null,
    };
}
