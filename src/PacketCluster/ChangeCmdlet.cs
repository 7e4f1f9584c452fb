using System.Management.Automation;
using PacketCluster.Engine.Operations;

namespace PacketCluster;

/// <summary>Base of day-2 cmdlets: whether and how long to wait for the cluster to settle after the change.</summary>
public abstract class ChangeCmdlet : WaitingCmdlet
{
    /// <summary>Record the change and start it, then return without waiting for the machines.</summary>
    [Parameter]
    public SwitchParameter NoWait { get; set; }

    /// <summary>How many machines are reconciled (created, checked, deleted) at once (default 16, at most 64).</summary>
    [Parameter]
    [ValidateRange(1, ClusterReconcileLoop.MaxConcurrency)]
    public int ThrottleLimit { get; set; } = ClusterReconcileLoop.DefaultConcurrency;

    private protected ChangeWait Wait => new(!NoWait, TimeSpan.FromSeconds(TimeoutSeconds), TimeSpan.FromSeconds(PollIntervalSeconds), ThrottleLimit);
}
