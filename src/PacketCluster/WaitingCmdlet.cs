using System.Management.Automation;

namespace PacketCluster;

/// <summary>Base of cmdlets that wait for a cluster: how long, how often to look, and -AsJob.</summary>
public abstract class WaitingCmdlet : StateCmdlet
{
    /// <summary>Seconds to wait for the cluster (default 1800). A timeout loses nothing: what was asked goes on when the cluster is reconciled again, and the command can be run again.</summary>
    [Parameter]
    [Alias("Timeout")]
    [ValidateRange(1, 86400)]
    public int TimeoutSeconds { get; set; } = 1800;

    /// <summary>Longest pause between looks at the cluster (and reconcile passes), in seconds (default 5).</summary>
    [Parameter]
    [ValidateRange(0.05, 300)]
    public double PollIntervalSeconds { get; set; } = 5;

    /// <summary>Run as a background job (Get-Job, Receive-Job, Stop-Job); its output is what the command returns, its progress the job's.</summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    /// <summary>
    /// Runs the work here, writing what it returns (collections one item at a time), or with -AsJob starts it as a job
    /// and writes the job. Everything the work needs is captured before: it runs on the thread pool.
    /// </summary>
    private protected void RunOrStartJob<T>(string jobName, Func<Engine.IEngineLog, CancellationToken, Task<T>> work, bool writeResult = true)
    {
        if (AsJob)
        {
            StartJob(jobName, work, writeResult);
            return;
        }
        var result = RunEngineAsync(work);
        if (writeResult) WriteObject(result, enumerateCollection: true);
    }
}
