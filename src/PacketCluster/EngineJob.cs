using System.Management.Automation;
using PacketCluster.Engine;

namespace PacketCluster;

/// <summary>
/// -AsJob for long engine operations: the work runs on the thread pool and writes to the job's own streams (thread-safe
/// collections), never to the pipeline of the session that started it. Get-Job/Receive-Job/Stop-Job work as usual.
/// </summary>
internal sealed class EngineJob : Job
{
    private readonly CancellationTokenSource _cancellation = new();
    private string _status = "Starting";

    private readonly bool _outputResult;

    /// <param name="command">The command line that started the job (Get-Job's Command).</param>
    /// <param name="name">The job's name.</param>
    /// <param name="outputResult">False for work whose result only says it finished (a removal): the job then has no output.</param>
    public EngineJob(string command, string name, bool outputResult = true) : base(command, name)
    {
        PSJobTypeName = "PacketClusterJob";
        _outputResult = outputResult;
    }

    public override string StatusMessage => _status;

    public override bool HasMoreData => Output.Count > 0 || Error.Count > 0 || Verbose.Count > 0 || Warning.Count > 0 || Progress.Count > 0;

    public override string Location => Environment.MachineName;

    /// <summary>Starts the work; its result goes to the job's output.</summary>
    public void Start<T>(Func<IEngineLog, CancellationToken, Task<T>> work)
    {
        SetJobState(JobState.Running);
        _ = Task.Run(async () =>
        {
            var log = new JobLog(this);
            try
            {
                var result = await work(log, _cancellation.Token).ConfigureAwait(false);
                // A list (the machines Add-PacketMachine made) comes out item by item, as the command writes it.
                if (!_outputResult || result is null) { }
                else if (result is System.Collections.IEnumerable items and not string)
                    foreach (var item in items) Output.Add(PSObject.AsPSObject(item));
                else Output.Add(PSObject.AsPSObject(result));
                _status = "Completed";
                SetJobState(JobState.Completed);
            }
            catch (OperationCanceledException) when (_cancellation.IsCancellationRequested)
            {
                _status = "Stopped";
                SetJobState(JobState.Stopped);
            }
            catch (PacketClusterException ex)
            {
                Error.Add(PacketCmdlet.ToErrorRecord(ex));
                _status = ex.ErrorId;
                SetJobState(JobState.Failed);
            }
            catch (Exception ex)
            {
                Error.Add(PacketCmdlet.ToErrorRecord(ex));
                _status = "Failed";
                SetJobState(JobState.Failed);
            }
        });
    }

    public override void StopJob()
    {
        _status = "Stopping";
        _cancellation.Cancel();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _cancellation.Dispose();
        base.Dispose(disposing);
    }

    private sealed class JobLog : IEngineLog
    {
        private readonly EngineJob _job;

        public JobLog(EngineJob job) => _job = job;

        public void Write(EngineMessage message)
        {
            switch (message.Level)
            {
                case EngineMessageLevel.Warning: _job.Warning.Add(new WarningRecord(message.Text)); break;
                case EngineMessageLevel.Debug: _job.Debug.Add(new DebugRecord(message.Text)); break;
                default: _job.Verbose.Add(new VerboseRecord(message.Text)); break;
            }
        }

        public void Report(EngineProgress progress)
        {
            _job._status = $"{progress.Phase}: {progress.Status}";
            _job.Progress.Add(new ProgressRecord(1, progress.Activity, _job._status) { PercentComplete = progress.PercentComplete ?? -1 });
        }
    }
}
