using System.Management.Automation;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Commands;

/// <summary>Waits until a cluster is Ready, Provisioned, or one of its conditions is True, with progress.</summary>
/// <remarks>
/// Ready: every machine of the cluster is a Ready Node. Provisioned: every machine's device is provisioned and the
/// control-plane endpoint (the elastic IP) is reserved. Any other -Condition is a condition type of the Cluster
/// (CertificatesReady, EndpointReady, or EndpointHealthy for highly available control planes) that must become True.
/// A cluster kept in the state folder is reconciled while this waits, as every day-2 command does, since nothing else
/// acts on it; a pivoted cluster is only watched while its own manager works. Waiting for Ready on a state-folder
/// cluster whose create stopped early (New-PacketCluster -NoWait, a timeout, Ctrl+C) finishes that create as running
/// New-PacketCluster again would — the recorded definition, the add-ons once the API server answers — but does not
/// pivot. Returns the cluster; at the timeout it fails with ClusterOperationTimeout saying what is still pending, and
/// nothing is lost: wait again.
/// </remarks>
/// <example>
/// <code>New-PacketCluster -Name demo -Metro sv -NoWait; Wait-PacketCluster demo</code>
/// <para>Starts a cluster, then waits (with progress) until every machine is a Ready Node.</para>
/// </example>
/// <example>
/// <code>Wait-PacketCluster demo -Condition Provisioned -TimeoutSeconds 600</code>
/// <para>Waits at most ten minutes for every device of cluster demo to be provisioned.</para>
/// </example>
/// <example>
/// <code>Get-PacketCluster | Wait-PacketCluster -Condition EndpointReady -AsJob | Receive-Job -Wait</code>
/// <para>Waits in a background job until every cluster has its elastic IP endpoint.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Wait, "PacketCluster", HelpUri = HelpLinks.Base + "Wait-PacketCluster.md")]
[OutputType(typeof(Cluster))]
public sealed class WaitPacketClusterCommand : WaitingCmdlet
{
    /// <summary>The cluster to wait for (names and cluster objects can be piped).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("ClusterName")]
    [ArgumentCompleter(typeof(Completion.ClusterNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>What to wait for: Ready (default), Provisioned, or a Cluster condition type that must become True.</summary>
    [Parameter(Position = 1)]
    [ValidateSet(ClusterOperations.WaitReady, ClusterOperations.WaitProvisioned, "CertificatesReady", "EndpointReady", "EndpointHealthy")]
    public string Condition { get; set; } = ClusterOperations.WaitReady;

    protected override void ProcessRecord()
    {
        ValidateClusterName(Name);
        var session = RequireSession();
        var (root, name, condition) = (StateRoot, Name, Condition);
        var wait = new ChangeWait(true, TimeSpan.FromSeconds(TimeoutSeconds), TimeSpan.FromSeconds(PollIntervalSeconds));
        RunOrStartJob($"Wait-PacketCluster {name} {condition}", (log, ct) => ClusterOperations.WaitAsync(root, name, condition, session, log, wait, ct));
    }
}
