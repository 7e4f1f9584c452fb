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

    /// <summary>Writes a non-terminating error for one failed item.</summary>
    protected void WriteEngineError(Exception ex)
    {
        if (ex is PacketClusterException pce) WriteError(ToErrorRecord(pce));
        else WriteError(new ErrorRecord(ex, "UnexpectedError", ErrorCategory.NotSpecified, null));
    }

    internal static ErrorRecord ToErrorRecord(PacketClusterException ex)
    {
        var record = new ErrorRecord(ex, ex.ErrorId, ToCategory(ex.Kind), ex.Target);
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
