using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Store;

namespace PacketCluster.Engine.Controllers;

/// <summary>One idempotent step of a reconcile.</summary>
public delegate Task<ReconcileResult> ReconcileStep(CancellationToken cancellationToken);

/// <summary>
/// Runs a step list. Normal reconciles run every step and combine the results (shortest requeue wins): each step
/// checks its own preconditions. Delete reconciles are ordered (the device must be gone before the finalizer goes),
/// so there the first requeue ends the pass. A transient failure always ends the pass with a requeue.
/// </summary>
public static class ReconcileSteps
{
    public static Task<ReconcileResult> RunAllAsync(IEngineLog log, string target, CancellationToken cancellationToken, params ReconcileStep[] steps) =>
        RunAsync(log, target, stopAtFirstRequeue: false, cancellationToken, steps);

    public static Task<ReconcileResult> RunInOrderAsync(IEngineLog log, string target, CancellationToken cancellationToken, params ReconcileStep[] steps) =>
        RunAsync(log, target, stopAtFirstRequeue: true, cancellationToken, steps);

    private static async Task<ReconcileResult> RunAsync(IEngineLog log, string target, bool stopAtFirstRequeue, CancellationToken cancellationToken, ReconcileStep[] steps)
    {
        var result = ReconcileResult.Done;
        foreach (var step in steps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                result = ReconcileResult.Combine(result, await step(cancellationToken).ConfigureAwait(false));
                if (stopAtFirstRequeue && !result.IsDone) return result;
            }
            catch (DeviceInventoryUnavailableException e)
            {
                // The inventory already logged the failure and owns the backoff.
                return ReconcileResult.Combine(result, ReconcileResult.RequeueAfter(e.RetryAfter));
            }
            catch (StoreConflictException e) when (e.ErrorId == StoreConflictException.ModifiedErrorId)
            {
                log.Debug($"{target}: {e.Message}; rereading.");
                return ReconcileResult.Combine(result, ReconcileResult.RequeueAfter(RequeueIntervals.StoreConflict));
            }
            catch (PacketApiException e) when (e is not PacketApiValidationException)
            {
                log.Warning($"{target}: {e.Message}; retrying in {RequeueIntervals.ApiError.TotalSeconds:0} s.");
                return ReconcileResult.Combine(result, ReconcileResult.RequeueAfter(RequeueIntervals.ApiError));
            }
        }
        return result;
    }
}
