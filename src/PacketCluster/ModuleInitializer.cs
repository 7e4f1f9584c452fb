using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace PacketCluster;

/// <summary>Routes the engine assembly, and only it, into <see cref="DependencyLoadContext"/>.</summary>
public sealed class ModuleInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    internal const string EngineAssemblyName = "PacketCluster.Engine";

    private static readonly string DependencyDirectory =
        Path.Combine(Path.GetDirectoryName(typeof(ModuleInitializer).Assembly.Location)!, "Dependencies");

    private static readonly Lazy<DependencyLoadContext> LoadContext = new(() => new DependencyLoadContext(DependencyDirectory));

    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveEngine;

    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.Resolving -= ResolveEngine;

    // Default.Resolving sees every module's misses; answering only for our engine keeps our
    // dependencies from leaking to other modules.
    private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name) =>
        name.Name == EngineAssemblyName ? LoadContext.Value.LoadFromAssemblyName(name) : null;
}
