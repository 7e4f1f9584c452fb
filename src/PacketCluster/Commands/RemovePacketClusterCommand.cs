using System.Management.Automation;
using PacketCluster.Engine.Operations;

namespace PacketCluster.Commands;

/// <summary>Deletes a cluster: every device, the endpoint's elastic IP, the PKI and the state.</summary>
/// <remarks>
/// Remove-PacketCluster deletes the machines' devices (a device already gone counts as deleted), releases the elastic IP
/// and every other reservation tagged with the cluster, deletes the PKI Secrets and the state folder, then sweeps the
/// project for anything still tagged with the cluster. It reports what it could not remove and then keeps the state so
/// the command can be run again. ConfirmImpact is High: scripts pass -Force or -Confirm:$false.
/// </remarks>
/// <example>
/// <code>Remove-PacketCluster demo -Force</code>
/// <para>Deletes cluster demo without asking.</para>
/// </example>
/// <example>
/// <code>Get-PacketCluster demo | Remove-PacketCluster -Confirm:$false</code>
/// <para>Deletes the piped cluster.</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "PacketCluster", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(void))]
public sealed class RemovePacketClusterCommand : StateCmdlet
{
    /// <summary>The cluster to delete (pipe a cluster object).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.ClusterNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>Do not ask for confirmation.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Seconds to wait for the devices to be gone (default 900).</summary>
    [Parameter]
    [Alias("Timeout")]
    [ValidateRange(1, 86400)]
    public int TimeoutSeconds { get; set; } = 900;

    /// <summary>Longest pause between reconcile passes, in seconds (default 5).</summary>
    [Parameter]
    [ValidateRange(0.05, 300)]
    public double PollIntervalSeconds { get; set; } = 5;

    protected override void ProcessRecord()
    {
        if (!ShouldProcessUnlessForced(Force, Name, "Delete the cluster, its devices, its elastic IP and its state")) return;
        var session = RequireSession();
        var root = StateRoot;
        var report = RunEngineAsync((log, ct) => ClusterOperations.DeleteAsync(Name, root, session, log,
            TimeSpan.FromSeconds(TimeoutSeconds), TimeSpan.FromSeconds(PollIntervalSeconds), ct));
        WriteVerbose($"Cluster {report.ClusterName}: {report.DevicesDeleted} devices deleted, {report.IpReservationsReleased} IP reservations released.");
        foreach (var leftover in report.Leftovers)
            WriteError(new ErrorRecord(new InvalidOperationException($"Could not remove {leftover}."), "ClusterResourceNotRemoved", ErrorCategory.ResourceUnavailable, leftover));
    }
}
