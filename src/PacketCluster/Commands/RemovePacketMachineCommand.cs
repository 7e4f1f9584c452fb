using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;

namespace PacketCluster.Commands;

/// <summary>Removes a machine from a cluster and deletes its device.</summary>
/// <remarks>
/// A worker of a MachineDeployment is marked for deletion and the deployment scaled down by one, so it is not replaced.
/// A standalone Machine is deleted. The cluster's last control plane is refused (use Remove-PacketCluster).
/// ConfirmImpact is High: scripts pass -Force or -Confirm:$false.
/// </remarks>
/// <example>
/// <code>Remove-PacketMachine -ClusterName demo -Name demo-worker-5c8f-abcde -Force</code>
/// <para>Removes one worker without asking.</para>
/// </example>
/// <example>
/// <code>Get-PacketMachine demo | Where-Object { $_.Status.Phase -eq 'Failed' } | Remove-PacketMachine -Confirm:$false</code>
/// <para>Removes every failed machine of cluster demo.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "PacketMachine", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemovePacketMachineCommand : ChangeCmdlet
{
    /// <summary>The cluster (taken from a piped machine).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = string.Empty;

    /// <summary>The machine to remove (pipe machine objects).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("MachineName")]
    public string Name { get; set; } = string.Empty;

    /// <summary>Do not ask for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        if (!ShouldProcessUnlessForced(Force, $"{ClusterName}/{Name}", "Remove the machine and delete its device")) return;
        var session = RequireSession();
        var root = StateRoot;
        RunEngineAsync(async (log, ct) => { await MachineOperations.RemoveMachineAsync(root, ClusterName, Name, session, log, Wait, ct); return true; });
    }
}
