using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;

namespace PacketCluster.Commands;

/// <summary>Removes a node pool (a MachineDeployment) with its machines and their devices.</summary>
/// <remarks>
/// The MachineDeployment is deleted; its finalizer deletes its MachineSets, their Machines (each Node drained) and the
/// devices. The command waits, with progress, until the machines are gone (-NoWait returns once the deletion is
/// recorded; after a pivot the cluster's manager does the work either way). The other pools are not touched.
/// The cluster's last MachineDeployment is refused (LastMachineDeployment): scale it to 0 with
/// Set-PacketMachineDeployment -Replicas 0, which keeps its definition, or remove the cluster with Remove-PacketCluster.
/// ConfirmImpact is High: scripts pass -Force or -Confirm:$false.
/// </remarks>
/// <example>
/// <code>Remove-PacketMachineDeployment -ClusterName demo -Name large -Force</code>
/// <para>Removes pool demo-large, its machines and devices, without asking.</para>
/// </example>
/// <example>
/// <code>Get-PacketMachineDeployment demo | Where-Object SpotInstance | Remove-PacketMachineDeployment -Confirm:$false -NoWait</code>
/// <para>Starts removing every spot pool of cluster demo and returns at once.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "PacketMachineDeployment", HelpUri = HelpLinks.Base + "Remove-PacketMachineDeployment.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemovePacketMachineDeploymentCommand : ChangeCmdlet
{
    /// <summary>The cluster (taken from a piped MachineDeployment).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = string.Empty;

    /// <summary>The pool to remove, with or without the &lt;cluster&gt;- prefix (pipe MachineDeployment objects).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("DeploymentName")]
    [ArgumentCompleter(typeof(DeploymentNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>Do not ask for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcessUnlessForced(Force, $"{ClusterName}/{Name}", "Remove the MachineDeployment and delete its machines and devices")) return;
        var session = RequireSession();
        var root = StateRoot;
        var (clusterName, name, wait) = (ClusterName, Name, Wait);
        RunOrStartJob($"Remove-PacketMachineDeployment {clusterName}/{name}", async (log, ct) => { await MachineDeploymentOperations.RemoveAsync(root, clusterName, name, session, log, wait, ct); return true; }, writeResult: false);
    }
}
