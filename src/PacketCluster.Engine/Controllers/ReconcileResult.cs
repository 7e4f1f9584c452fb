namespace PacketCluster.Engine.Controllers;

/// <summary>
/// What one reconcile asks of its loop: nothing more (<see cref="Done"/>) or another pass after an interval.
/// When several steps ask, the shortest interval wins (<see cref="Lowest"/>).
/// </summary>
public readonly record struct ReconcileResult
{
    private ReconcileResult(TimeSpan? requeueAfter) => RequeueAfter = requeueAfter;

    /// <summary>When to reconcile again; null when the object is settled until something changes.</summary>
    public TimeSpan? RequeueAfter { get; }

    public bool IsDone => RequeueAfter is null;

    public static ReconcileResult Done => default;

    public static ReconcileResult Requeue(TimeSpan after) =>
        new(after < TimeSpan.Zero ? TimeSpan.Zero : after);

    /// <summary>The result that asks for the earliest next pass.</summary>
    public static ReconcileResult Lowest(ReconcileResult a, ReconcileResult b) =>
        a.RequeueAfter is null ? b
        : b.RequeueAfter is null ? a
        : a.RequeueAfter <= b.RequeueAfter ? a : b;

    public override string ToString() => IsDone ? "Done" : $"RequeueAfter {RequeueAfter}";
}
