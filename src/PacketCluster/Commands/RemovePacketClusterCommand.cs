using System.Management.Automation;
using PacketCluster.Engine;
using PacketCluster.Engine.Operations;
using PacketCluster.Models;

namespace PacketCluster.Commands;

/// <summary>Deletes a cluster: every device, the endpoint's elastic IP, the PKI and the state.</summary>
/// <remarks>
/// Remove-PacketCluster deletes the machines' devices (a device already gone counts as deleted), releases the elastic IP
/// and every other reservation tagged with the cluster's identity, deletes the PKI Secrets and the state folder, then
/// sweeps the project for anything still tagged with that identity. Only resources tagged with this cluster's unique
/// identity (cluster-api-provider-packet:cluster-uid) are touched: another cluster of the same name in the project
/// (another state folder, colleague or CI job) keeps its devices and elastic IP. Resources tagged with the name only
/// (made by hand or by an older version) are listed in a warning and left alone unless -IncludeUntagged says
/// otherwise. It reports what it could not remove and then keeps the state so the command can be run again.
/// ConfirmImpact is High: scripts pass -Force or -Confirm:$false.
/// </remarks>
/// <example>
/// <code>Remove-PacketCluster demo -Force</code>
/// <para>Deletes cluster demo without asking.</para>
/// </example>
/// <example>
/// <code>Get-PacketCluster demo | Remove-PacketCluster -Confirm:$false</code>
/// <para>Deletes the piped cluster.</para>
/// </example>
/// <example>
/// <code>Remove-PacketCluster old -IncludeUntagged -Force</code>
/// <para>Also deletes devices and IP reservations tagged cluster-api-provider-packet:cluster-id:old without any cluster identity (made by the 2019 provider, an older PacketCluster or by hand).</para>
/// </example>
[Cmdlet(VerbsCommon.Remove, "PacketCluster", HelpUri = HelpLinks.Base + "Remove-PacketCluster.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High)]
[OutputType(typeof(DeleteClusterReport))]
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

    /// <summary>
    /// Also delete devices and IP reservations tagged with the cluster's name only (no cluster identity): made by hand,
    /// by the 2019 provider or by an older PacketCluster. Resources of another cluster of the same name are never deleted.
    /// </summary>
    [Parameter]
    public SwitchParameter IncludeUntagged { get; set; }

    /// <summary>Ask for every deletion and return without waiting for the devices to finish deprovisioning.</summary>
    [Parameter]
    public SwitchParameter NoWait { get; set; }

    /// <summary>
    /// The kubeconfig file New-PacketCluster merged the cluster into (default: the first path of $env:KUBECONFIG, else
    /// ~/.kube/config). Its context, user and cluster entries for this cluster are removed — only those whose certificate
    /// authority is this cluster's — and the current-context is cleared when it pointed at it.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KubeconfigPath { get; set; }

    /// <summary>Leave every kubeconfig file alone.</summary>
    [Parameter]
    public SwitchParameter KeepKubeconfig { get; set; }

    /// <summary>Output a report of what was deleted (devices, IP reservations, kubeconfig entries, anything left alone).</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Run as a background job; the report is the job's output.</summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    protected override void ProcessRecord()
    {
        var known = ClusterQueries.ClusterNames(StateRoot).Contains(Name, StringComparer.Ordinal);
        if (!known && !IncludeUntagged)
        {
            // Without its state there is no identity to match resources by, so nothing could be deleted: say so.
            var missing = new ItemNotFoundException($"No cluster '{Name}' in {StateRoot}. Get-PacketCluster lists the clusters there; -StatePath or PACKETCLUSTER_HOME choose another folder; " +
                                                    "-IncludeUntagged deletes the devices and IP reservations tagged with the name only.");
            WriteError(new ErrorRecord(missing, "ClusterNotFound", ErrorCategory.ObjectNotFound, Name)
            {
                ErrorDetails = new ErrorDetails(missing.Message) { RecommendedAction = "Check the name with Get-PacketCluster, or pass -StatePath." },
            });
            return;
        }
        if (!ShouldProcessUnlessForced(Force, Name, "Delete the cluster, its devices, its elastic IP and its state"
            + (IncludeUntagged ? ", and every device and IP reservation tagged with its name only" : ""))) return;
        var includeUntagged = IncludeUntagged.IsPresent;
        var wait = !NoWait.IsPresent;
        var kubeconfig = KeepKubeconfig ? null : KubeconfigPath is { } given ? GetUnresolvedProviderPathFromPSPath(given) : Engine.Operations.KubeconfigFile.DefaultPath();
        var session = RequireSession();
        var root = StateRoot;
        var name = Name;
        var timeout = TimeSpan.FromSeconds(TimeoutSeconds);
        var poll = TimeSpan.FromSeconds(PollIntervalSeconds);
        Task<DeleteClusterReport> Delete(IEngineLog log, CancellationToken ct) =>
            ClusterOperations.DeleteAsync(name, root, session, log, timeout, poll, ct, includeUntagged, wait, kubeconfig);
        if (AsJob)
        {
            StartJob($"Remove-PacketCluster {name}", Delete);
            return;
        }
        var report = RunEngineAsync(Delete);
        WriteVerbose($"Cluster {report.ClusterName}: {report.DevicesDeleted} devices deleted, {report.IpReservationsReleased} IP reservations released"
            + (report.KubeconfigEntriesRemoved.Count > 0 ? $", {string.Join(", ", report.KubeconfigEntriesRemoved)} removed from {kubeconfig}." : "."));
        foreach (var leftover in report.Leftovers)
            WriteError(WithAdvice(new ErrorRecord(new InvalidOperationException($"Could not remove {leftover}."), "ClusterResourceNotRemoved", ErrorCategory.ResourceUnavailable, leftover),
                $"Run Remove-PacketCluster {name} again: its state is kept until everything is gone."));
        if (PassThru) WriteObject(report);
    }
}
