using System.Management.Automation;
using PacketCluster.Engine.Store;

namespace PacketCluster;

/// <summary>Base of cmdlets that work on the embedded state (a folder per cluster).</summary>
public abstract class StateCmdlet : PacketApiCmdlet
{
    /// <summary>Folder that holds the clusters' state. Defaults to PACKETCLUSTER_HOME, else ~/.packetcluster.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StatePath { get; set; }

    private protected string StateRoot =>
        StateLocation.ResolveRoot(StatePath is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(StatePath));

    /// <summary>
    /// The Get- cmdlets of a cluster's objects: those of <paramref name="clusterName"/> (every cluster in the state folder
    /// when null) whose name, with or without the &lt;cluster&gt;- prefix, matches <paramref name="name"/> (wildcards).
    /// Listing every cluster, one that cannot be read (an unreachable management cluster) is an error that does not hide
    /// the others; a plain name that matches nothing in the named cluster is <paramref name="notFoundErrorId"/>.
    /// </summary>
    private protected void WriteClusterObjects<T>(string? clusterName, string name, Func<string, string, CancellationToken, Task<IReadOnlyList<T>>> read,
        string notFoundErrorId, string kind, string listCommand) where T : Models.ClusterApi.ResourceObject
    {
        var root = StateRoot;
        var every = string.IsNullOrEmpty(clusterName);
        var clusters = every ? Engine.Operations.ClusterQueries.ClusterNames(root) : [clusterName!];
        var pattern = WildcardPattern.Get(name, WildcardOptions.IgnoreCase);
        var found = false;
        foreach (var cluster in clusters)
        {
            Engine.PacketClusterException? failed = null;
            var objects = RunEngineAsync(async (_, ct) =>
            {
                try { return await read(root, cluster, ct); }
                catch (Engine.PacketClusterException e) when (every) { failed = e; return (IReadOnlyList<T>)[]; }
            });
            if (failed is not null) WriteEngineError(failed);
            foreach (var item in objects.Where(o => pattern.IsMatch(o.Name) || pattern.IsMatch(ShortName(cluster, o.Name))))
            {
                found = true;
                WriteObject(item);
            }
        }
        if (!found && !WildcardPattern.ContainsWildcardCharacters(name) && !every)
            WriteError(WithAdvice(new ErrorRecord(new ItemNotFoundException($"Cluster '{clusterName}' has no {kind} '{name}'."),
                notFoundErrorId, ErrorCategory.ObjectNotFound, name), $"{listCommand} -ClusterName {clusterName} lists the cluster's {kind}s."));
    }

    private static string ShortName(string cluster, string name) =>
        name.StartsWith(cluster + "-", StringComparison.Ordinal) ? name[(cluster.Length + 1)..] : name;
}
