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
        catch (Exception ex) when (IsEnvironmentFailure(ex))
        {
            // Failures of the machine or the network the engine did not wrap: still an error record with advice.
            ThrowTerminatingError(ToErrorRecord(ex));
        }
    }

    /// <summary>Exceptions that come from the file system, the network or a timeout rather than from a bug.</summary>
    private static bool IsEnvironmentFailure(Exception ex) =>
        ex is IOException or UnauthorizedAccessException or HttpRequestException or TimeoutException or OperationCanceledException
            or System.Text.Json.JsonException;

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

    /// <summary>
    /// -AsJob: starts <paramref name="work"/> as a job in the session's job repository and writes the job. Everything
    /// the work needs is captured before: it runs on the thread pool.
    /// </summary>
    /// <param name="name">The job's name (Get-Job).</param>
    /// <param name="work">What the job runs; its result is the job's output.</param>
    /// <param name="outputResult">False for work whose result only says it finished (a removal): the job has no output.</param>
    private protected void StartJob<T>(string name, Func<IEngineLog, CancellationToken, Task<T>> work, bool outputResult = true)
    {
        var job = new EngineJob(MyInvocation.Line, name, outputResult);
        JobRepository.Add(job);
        job.Start(work);
        WriteObject(job);
    }

    /// <summary>Writes a non-terminating error for one failed item.</summary>
    protected void WriteEngineError(Exception ex) => WriteError(ToErrorRecord(ex));

    /// <summary>The error record of an engine failure: its stable id, category, target, and its advice in ErrorDetails.RecommendedAction.</summary>
    internal static ErrorRecord ToErrorRecord(PacketClusterException ex) =>
        WithAdvice(new ErrorRecord(ex, ex.ErrorId, ToCategory(ex.Kind), ex.Target), ex.RecommendedAction);

    /// <summary>
    /// Any failure as an error record with a RecommendedAction: engine failures carry their own; file-system, network and
    /// timeout failures get advice for their kind; anything else is UnexpectedError and says how to report it.
    /// </summary>
    internal static ErrorRecord ToErrorRecord(Exception ex)
    {
        if (ex is PacketClusterException pce) return ToErrorRecord(pce);
        var (id, category, advice) = ex switch
        {
            FileNotFoundException or DirectoryNotFoundException => ("PathNotFound", ErrorCategory.ObjectNotFound,
                "Check the path (it is relative to the current location) and that the file or folder exists, then try again."),
            UnauthorizedAccessException => ("AccessDenied", ErrorCategory.PermissionDenied,
                "Check that you may read and write the file or folder named in the message (permissions, read-only flag), then try again."),
            IOException => ("FileSystemError", ErrorCategory.WriteError,
                "Check the file or folder named in the message (disk space, permissions, another program using it), then try again."),
            HttpRequestException => ("ConnectionFailed", ErrorCategory.ConnectionError,
                "Check the network and that the service the message names is running and reachable, then run the command again."),
            TimeoutException or OperationCanceledException => ("OperationTimeout", ErrorCategory.OperationTimeout,
                "Run the command again (it resumes where it stopped); if it keeps timing out, check the network and the services it waits for."),
            System.Text.Json.JsonException => ("InvalidData", ErrorCategory.InvalidData,
                "The data named in the message is not valid JSON; restore or fix it, then try again."),
            _ => ("UnexpectedError", ErrorCategory.NotSpecified,
                "This is likely a bug in PacketCluster: run the command again with -Verbose and report the error ($Error[0] | Format-List * -Force) without any API key."),
        };
        return WithAdvice(new ErrorRecord(ex, id, category, null), advice);
    }

    /// <summary>Longest cluster name: it prefixes hostnames (name-control-plane-0, name-worker-…) that must stay DNS labels.</summary>
    internal const int MaxClusterNameLength = 40;

    /// <summary>
    /// Refuses a cluster name that cannot become hostnames and tags (InvalidClusterName), explaining the rule in words
    /// and what is wrong with this name; null passes (the cmdlet picks a name).
    /// </summary>
    protected void ValidateClusterName(string? name, string parameter = "Name")
    {
        if (name is null || ClusterNameProblem(name) is not { } problem) return;
        var rule = $"a cluster name is 1 to {MaxClusterNameLength} characters: lower-case letters, digits and '-', starting and ending with a letter or digit";
        var record = new ErrorRecord(new PSArgumentException($"-{parameter} '{name}' is not a valid cluster name: {problem}. Rule: {rule}.", parameter),
            "InvalidClusterName", ErrorCategory.InvalidArgument, name);
        ThrowTerminatingError(WithAdvice(record, $"Choose a name such as 'ux1' or 'prod-eu-2': {rule}."));
    }

    /// <summary>What is wrong with <paramref name="name"/> as a cluster name, in words; null when it is valid.</summary>
    internal static string? ClusterNameProblem(string name)
    {
        if (name.Length == 0) return "it is empty";
        if (name.Length > MaxClusterNameLength) return $"it has {name.Length} characters, more than {MaxClusterNameLength}";
        var bad = name.Where(c => !(c is >= 'a' and <= 'z' || c is >= '0' and <= '9' || c == '-')).Distinct().ToList();
        if (bad.Count > 0)
        {
            var parts = new List<string>();
            if (bad.Where(char.IsUpper).ToList() is { Count: > 0 } upper)
                parts.Add($"upper-case letters ({string.Join(", ", upper.Select(c => $"'{c}'"))})");
            parts.AddRange(bad.Where(c => !char.IsUpper(c)).Select(c => c == ' ' ? "a space" : $"'{c}'"));
            return "it contains " + string.Join(" and ", parts);
        }
        if (name[0] == '-') return "it starts with '-'";
        if (name[^1] == '-') return "it ends with '-'";
        return null;
    }

    /// <summary>Sets ErrorDetails (the same message) with <paramref name="recommendedAction"/>; every error this module writes goes through here.</summary>
    internal static ErrorRecord WithAdvice(ErrorRecord record, string recommendedAction)
    {
        record.ErrorDetails = new ErrorDetails(record.Exception.Message) { RecommendedAction = recommendedAction };
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
