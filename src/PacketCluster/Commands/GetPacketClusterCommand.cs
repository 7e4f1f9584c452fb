using System.Management.Automation;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Commands;

/// <summary>Gets the clusters recorded in the embedded state folder, with their phase and endpoint.</summary>
/// <remarks>Reads -StatePath (default PACKETCLUSTER_HOME, else ~/.packetcluster). Needs no API connection.</remarks>
/// <example>
/// <code>Get-PacketCluster</code>
/// <para>Lists every cluster with its phase and control-plane endpoint.</para>
/// </example>
/// <example>
/// <code>Get-PacketCluster demo | Get-PacketMachine</code>
/// <para>Lists the machines of cluster demo.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketCluster")]
[OutputType(typeof(Cluster))]
public sealed class GetPacketClusterCommand : StateCmdlet
{
    /// <summary>Cluster name; wildcards are allowed.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
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
            WriteError(new ErrorRecord(new ItemNotFoundException($"No cluster '{Name}' in {root}."), "ClusterNotFound", ErrorCategory.ObjectNotFound, Name));
            return;
        }
        foreach (var name in names)
            WriteObject(RunEngineAsync((_, ct) => ClusterQueries.GetClusterAsync(root, name, ct)));
    }
}
