using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;

namespace PacketCluster.Commands;

/// <summary>Removes a machine from a cluster and deletes its device.</summary>
/// <remarks>
/// A worker of a MachineDeployment is marked for deletion and the deployment scaled down by one, so it is not replaced.
/// A standalone Machine is deleted. A control plane leaves etcd before its device is deleted (if it holds the elastic IP,
/// the address moves to another control plane first); a removal that would leave etcd without a healthy majority is
/// refused before anything changes (WouldLoseQuorum). The cluster's last control plane is refused (use Remove-PacketCluster).
/// ConfirmImpact is High: scripts pass -Force or -Confirm:$false.
/// </remarks>
/// <example>
/// <code>Remove-PacketMachine -ClusterName demo -Name demo-worker-5c8f-abcde -Force</code>
/// <para>Removes one worker without asking.</para>
/// </example>
/// <example>
/// <code>Remove-PacketMachine prod-control-plane-2 -Force</code>
/// <para>Removes a control plane of cluster prod (found from the machine's name): its etcd member leaves first, then its device goes. Refused with WouldLoseQuorum when the members left would have no healthy majority.</para>
/// </example>
/// <example>
/// <code>Get-PacketMachine demo | Where-Object { $_.Status.Phase -eq 'Failed' } | Remove-PacketMachine -Confirm:$false</code>
/// <para>Removes every failed machine of cluster demo.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "PacketMachine", HelpUri = HelpLinks.Base + "Remove-PacketMachine.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemovePacketMachineCommand : ChangeCmdlet
{
    /// <summary>The cluster (taken from a piped machine); without it, the cluster whose name the machine's starts with and that has it.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = string.Empty;

    /// <summary>The machine to remove (pipe machine objects).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("MachineName")]
    [ArgumentCompleter(typeof(MachineNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>Do not ask for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var root = StateRoot;
        var clusterName = string.IsNullOrEmpty(ClusterName) ? RunEngineAsync((_, ct) => ClusterQueries.ClusterOfMachineAsync(root, Name, ct)) : ClusterName;
        if (!ShouldProcessUnlessForced(Force, $"{clusterName}/{Name}", "Remove the machine and delete its device")) return;
        var session = RequireSession();
        var (name, wait) = (Name, Wait);
        RunOrStartJob($"Remove-PacketMachine {clusterName}/{name}", async (log, ct) => { await MachineOperations.RemoveMachineAsync(root, clusterName, name, session, log, wait, ct); return true; }, writeResult: false);
    }
}
