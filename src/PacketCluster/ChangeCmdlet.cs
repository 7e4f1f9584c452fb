using System.Management.Automation;
using PacketCluster.Engine.Operations;

namespace PacketCluster;

/// <summary>Base of day-2 cmdlets: whether and how long to wait for the cluster to settle.</summary>
public abstract class ChangeCmdlet : StateCmdlet
{
    /// <summary>Record the change and start it, then return without waiting for the machines.</summary>
    [Parameter]
    public SwitchParameter NoWait { get; set; }

    /// <summary>Seconds to wait for the cluster to settle (default 1800). A timeout loses nothing: the change goes on when reconciled again.</summary>
    [Parameter]
    [Alias("Timeout")]
    [ValidateRange(1, 86400)]
    public int TimeoutSeconds { get; set; } = 1800;

    /// <summary>Longest pause between reconcile passes, in seconds (default 5).</summary>
    [Parameter]
    [ValidateRange(0.05, 300)]
    public double PollIntervalSeconds { get; set; } = 5;

    /// <summary>How many machines are reconciled (created, checked, deleted) at once (default 16, at most 64).</summary>
    [Parameter]
    [ValidateRange(1, ClusterReconcileLoop.MaxConcurrency)]
    public int ThrottleLimit { get; set; } = ClusterReconcileLoop.DefaultConcurrency;

    private protected ChangeWait Wait => new(!NoWait, TimeSpan.FromSeconds(TimeoutSeconds), TimeSpan.FromSeconds(PollIntervalSeconds), ThrottleLimit);
}
