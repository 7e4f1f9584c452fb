namespace PacketCluster.Engine.Controllers;

/// <summary>
/// What one reconcile step (or a whole reconcile) asks of the loop: nothing more (<see cref="Done"/>), or another pass
/// after an interval. Steps are combined with <see cref="Combine"/>: the shortest requeue wins, as CAPI's
/// LowestNonZeroResult does, so no step waits longer than the most impatient one needs.
/// </summary>
public readonly record struct ReconcileResult
{
    private ReconcileResult(TimeSpan? requeueAfter) => RequeueAfterInterval = requeueAfter;

    /// <summary>Null when done.</summary>
    public TimeSpan? RequeueAfterInterval { get; }

    public bool IsDone => RequeueAfterInterval is null;

    public static ReconcileResult Done => default;

    public static ReconcileResult RequeueAfter(TimeSpan interval) =>
        new(interval < TimeSpan.Zero ? TimeSpan.Zero : interval);

    /// <summary>The shorter of two requeues; Done only when both are done.</summary>
    public static ReconcileResult Combine(ReconcileResult a, ReconcileResult b) =>
        (a.RequeueAfterInterval, b.RequeueAfterInterval) switch
        {
            (null, _) => b,
            (_, null) => a,
            ({ } x, { } y) => x <= y ? a : b,
        };

    public override string ToString() => IsDone ? "Done" : $"RequeueAfter({RequeueAfterInterval})";
}
