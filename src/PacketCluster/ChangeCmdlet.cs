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

    /// <summary>Run as a background job (Get-Job, Receive-Job, Stop-Job); its output is what the command returns, its progress the job's.</summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    private protected ChangeWait Wait => new(!NoWait, TimeSpan.FromSeconds(TimeoutSeconds), TimeSpan.FromSeconds(PollIntervalSeconds), ThrottleLimit);

    /// <summary>
    /// Runs the change here, writing what it returns (collections one item at a time), or with -AsJob starts it as a
    /// job and writes the job. Everything the work needs is captured before: it runs on the thread pool.
    /// </summary>
    private protected void RunChange<T>(string jobName, Func<Engine.IEngineLog, CancellationToken, Task<T>> work, bool writeResult = true)
    {
        if (AsJob)
        {
            var job = new EngineJob(MyInvocation.Line, jobName, writeResult);
            JobRepository.Add(job);
            job.Start(work);
            WriteObject(job);
            return;
        }
        var result = RunEngineAsync(work);
        if (writeResult) WriteObject(result, enumerateCollection: true);
    }
}
