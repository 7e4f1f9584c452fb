using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;

namespace PacketCluster.Commands;

/// <summary>Removes a MachineHealthCheck: its machines are no longer judged or replaced by it.</summary>
/// <remarks>
/// Only the health check goes; no machine, Node or device is touched. Get-PacketMachine's Health column keeps the last
/// verdict until the machine is replaced. Needs no API connection.
/// </remarks>
/// <example>
/// <code>Remove-PacketMachineHealthCheck -ClusterName demo -Name workers</code>
/// <para>Stops replacing unhealthy workers of cluster demo.</para>
/// </example>
/// <example>
/// <code>Get-PacketMachineHealthCheck demo | Remove-PacketMachineHealthCheck -Confirm:$false</code>
/// <para>Removes every health check of cluster demo without asking.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "PacketMachineHealthCheck", HelpUri = HelpLinks.Base + "Remove-PacketMachineHealthCheck.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class RemovePacketMachineHealthCheckCommand : StateCmdlet
{
    /// <summary>The cluster (taken from a piped MachineHealthCheck).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = string.Empty;

    /// <summary>The health check, with or without the &lt;cluster&gt;- prefix (pipe MachineHealthCheck objects).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(HealthCheckNameCompleter))]
    public string Name { get; set; } = string.Empty;

    protected override void ProcessRecord()
    {
        if (!ShouldProcess($"{ClusterName}/{Name}", "Remove the MachineHealthCheck (its machines stay)")) return;
        var (root, cluster, name) = (StateRoot, ClusterName, Name);
        RunEngine(() => RunEngineAsync(async (log, ct) => { await MachineHealthCheckOperations.RemoveAsync(root, cluster, name, log, ct); return true; }));
    }
}
