using System.Collections.Concurrent;
using System.Management.Automation;
using PacketCluster.Engine;

namespace PacketCluster;

/// <summary>
/// Shared work of every PacketCluster cmdlet: cancellation on Ctrl+C and the one table that turns engine
/// failures into error records with stable ids. Engine types appear only in method bodies, so they resolve
/// through the private load context after the module is imported.
/// </summary>
public abstract class PacketCmdlet : PSCmdlet
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);
    private readonly CancellationTokenSource _cancellation = new();

    /// <summary>Cancelled when the user presses Ctrl+C or the pipeline stops.</summary>
    protected CancellationToken CancellationToken => _cancellation.Token;

    protected override void StopProcessing() => _cancellation.Cancel();

    protected override void EndProcessing() => _cancellation.Dispose();

    /// <summary>Runs engine work, mapping its failures to terminating error records.</summary>
    protected void RunEngine(Action action)
    {
        try
        {
            action();
        }
        catch (OperationCanceledException) when (_cancellation.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (PacketClusterException ex)
        {
            ThrowTerminatingError(ToErrorRecord(ex));
        }
    }

    /// <summary>
    /// Runs async engine work on the thread pool while this (pipeline) thread writes its messages: pwsh has no
    /// synchronization context, and a Write* from another thread kills the process.
    /// </summary>
    protected T RunEngineAsync<T>(Func<IEngineLog, CancellationToken, Task<T>> work)
    {
        T result = default!;
        RunEngine(() =>
        {
            using var queue = new BlockingCollection<Action>();
            var log = new PipelineLog(queue, this);
            var task = Task.Run(async () =>
            {
                try { return await work(log, CancellationToken).ConfigureAwait(false); }
                finally { queue.CompleteAdding(); }
            });
            try
            {
                foreach (var write in queue.GetConsumingEnumerable()) write();
                result = task.GetAwaiter().GetResult();
            }
            finally
            {
                // A write that threw (Ctrl+C stops the pipeline, or -*Action Stop) ends the pump early: stop the engine
                // and let it finish, so nothing of this command goes on after the prompt is back. Every wait is bounded.
                if (!task.IsCompleted)
                {
                    _cancellation.Cancel();
                    try { task.Wait(StopGrace); } catch (AggregateException) { }
                }
                log.CompleteProgress();
            }
        });
        return result;
    }

    /// <summary>Queues engine messages for the pipeline thread.</summary>
    private sealed class PipelineLog : IEngineLog
    {
        private const int ActivityId = 1;
        private readonly BlockingCollection<Action> _queue;
        private readonly PacketCmdlet _cmdlet;
        private string? _activity;

        public PipelineLog(BlockingCollection<Action> queue, PacketCmdlet cmdlet) => (_queue, _cmdlet) = (queue, cmdlet);

        public void Report(EngineProgress progress)
        {
            _activity = progress.Activity;
            var record = new ProgressRecord(ActivityId, progress.Activity, $"{progress.Phase}: {progress.Status}")
            {
                PercentComplete = progress.PercentComplete ?? -1,
                CurrentOperation = progress.Phase,
            };
            try { _queue.TryAdd(() => _cmdlet.WriteProgress(record)); } catch (InvalidOperationException) { }
        }

        /// <summary>Closes the progress bar on the pipeline thread, whatever happened.</summary>
        public void CompleteProgress()
        {
            if (_activity is null) return;
            _cmdlet.WriteProgress(new ProgressRecord(ActivityId, _activity, "Done") { RecordType = ProgressRecordType.Completed });
        }

        public void Write(EngineMessage message)
        {
            Action write = message.Level switch
            {
                EngineMessageLevel.Debug => () => _cmdlet.WriteDebug(message.Text),
                EngineMessageLevel.Warning => () => _cmdlet.WriteWarning(message.Text),
                EngineMessageLevel.Information => () => _cmdlet.WriteInformation(message.Text, new[] { "PacketCluster" }),
                _ => () => _cmdlet.WriteVerbose(message.Text),
            };
            // After the work finished the queue is closed; a late message has nowhere to go.
            try { _queue.TryAdd(write); } catch (InvalidOperationException) { }
        }
    }

    /// <summary>ShouldProcess for High-impact commands: -Force skips the confirmation, never -WhatIf.</summary>
    protected bool ShouldProcessUnlessForced(bool force, string target, string action)
    {
        var whatIf = (MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) && LanguagePrimitives.IsTrue(w))
            || LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
        return (force && !whatIf) || ShouldProcess(target, action);
    }

    /// <summary>Writes a non-terminating error for one failed item.</summary>
    protected void WriteEngineError(Exception ex)
    {
        if (ex is PacketClusterException pce) WriteError(ToErrorRecord(pce));
        else WriteError(new ErrorRecord(ex, "UnexpectedError", ErrorCategory.NotSpecified, null));
    }

    internal static ErrorRecord ToErrorRecord(PacketClusterException ex)
    {
        var record = new ErrorRecord(ex, ex.ErrorId, ToCategory(ex.Kind), ex.Target);
        if (ex.RecommendedAction is { } action) record.ErrorDetails = new ErrorDetails(ex.Message) { RecommendedAction = action };
        return record;
    }

    private static ErrorCategory ToCategory(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ErrorKind.InvalidData => ErrorCategory.InvalidData,
        ErrorKind.ObjectNotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        ErrorKind.InvalidOperation => ErrorCategory.InvalidOperation,
        ErrorKind.AuthenticationError => ErrorCategory.AuthenticationError,
        ErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        ErrorKind.ConnectionError => ErrorCategory.ConnectionError,
        ErrorKind.OperationTimeout => ErrorCategory.OperationTimeout,
        ErrorKind.WriteError => ErrorCategory.WriteError,
        _ => ErrorCategory.NotSpecified,
    };
}
