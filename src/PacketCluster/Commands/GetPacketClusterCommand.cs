using System.Management.Automation;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Commands;

/// <summary>Gets the clusters recorded in the embedded state folder, with their phase, endpoint and who manages them.</summary>
/// <remarks>
/// Reads -StatePath (default PACKETCLUSTER_HOME, else ~/.packetcluster). Needs no API connection. ManagedBy says who
/// reconciles the cluster: "state folder" (the cmdlets, or Start-PacketClusterManager -StatePath), the manager pod that
/// holds the packetcluster-manager Lease where a pivoted cluster's objects live (normally the cluster's own; for a
/// cluster kept in a bootstrap cluster, ", in the bootstrap cluster at …" follows), a manager outside the cluster, or "nobody" — then a warning says so, since nothing acts on changes or replaces lost machines.
/// </remarks>
/// <example>
/// <code>Get-PacketCluster</code>
/// <para>Lists every cluster with its phase and control-plane endpoint.</para>
/// </example>
/// <example>
/// <code>Get-PacketCluster demo | Get-PacketMachine</code>
/// <para>Lists the machines of cluster demo.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketCluster", HelpUri = HelpLinks.Base + "Get-PacketCluster.md")]
[OutputType(typeof(Cluster))]
public sealed class GetPacketClusterCommand : StateCmdlet
{
    /// <summary>Cluster name; wildcards are allowed. Names can be piped ('demo', 'prod' | Get-PacketCluster).</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completion.ClusterNameCompleter))]
    public string Name { get; set; } = "*";

    protected override void ProcessRecord()
    {
        var root = StateRoot;
        var pattern = WildcardPattern.Get(Name, WildcardOptions.IgnoreCase);
        var names = ClusterQueries.ClusterNames(root).Where(n => pattern.IsMatch(n)).ToList();
        if (names.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(Name))
        {
            WriteError(WithAdvice(new ErrorRecord(new ItemNotFoundException($"No cluster '{Name}' in {root}."), "ClusterNotFound", ErrorCategory.ObjectNotFound, Name), "Run Get-PacketCluster without -Name to list the clusters, or pass -StatePath for another state folder."));
            return;
        }
        foreach (var name in names)
        {
            var (cluster, management) = RunEngineAsync((_, ct) => ClusterQueries.GetClusterWithManagementAsync(root, name, ct));
            if (!management.Managed)
                WriteWarning($"Nobody manages cluster '{name}': no manager holds its packetcluster-manager Lease ({management.Description}), so changes " +
                             "wait and lost machines are not replaced. Check the manager pods (kubectl -n cluster-api-provider-packet-system get pods), " +
                             "or run Start-PacketClusterManager.");
            var output = PSObject.AsPSObject(cluster);
            output.Properties.Add(new PSNoteProperty("ManagedBy", management.Description));
            WriteObject(output);
        }
    }
}
