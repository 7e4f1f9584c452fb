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
}
