using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Tests.Metal;
using Xunit;

namespace PacketCluster.Engine.Tests.Operations;

public sealed class ClusterWorkQueueTests
{
    private readonly ManualTimeProvider _time = new() { AutoAdvance = false };
    private readonly CancellationToken _ct = CancellationToken.None;

    [Fact]
    public async Task A_later_pass_replaces_the_timed_requeue_of_an_earlier_one()
    {
        var queue = new ClusterWorkQueue(_time);
        queue.ScheduleNext("a", TimeSpan.FromSeconds(5), _ct);
        queue.ScheduleNext("a", TimeSpan.FromSeconds(10), _ct);
        await WaitForTimersAsync(2);

        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.Null(await TryTakeAsync(queue));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("a", await TryTakeAsync(queue));
        queue.Done("a");
        Assert.Null(await TryTakeAsync(queue)); // one requeue, not one per pass
    }

    [Fact]
    public async Task A_pass_that_asks_for_no_requeue_cancels_the_pending_one()
    {
        var queue = new ClusterWorkQueue(_time);
        queue.ScheduleNext("a", TimeSpan.FromSeconds(5), _ct);
        await WaitForTimersAsync(1);
        queue.ScheduleNext("a", null, _ct);

        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.Null(await TryTakeAsync(queue));
    }

    [Fact]
    public async Task A_cluster_is_never_handed_out_twice_and_a_change_during_its_pass_runs_it_again_after()
    {
        var queue = new ClusterWorkQueue(_time);
        queue.Add("a");
        queue.Add("a");
        Assert.Equal("a", await TryTakeAsync(queue));
        Assert.Null(await TryTakeAsync(queue));

        queue.Add("a"); // while its pass runs
        Assert.Null(await TryTakeAsync(queue));
        queue.Done("a");
        Assert.Equal("a", await TryTakeAsync(queue));
    }

    private async Task WaitForTimersAsync(int count)
    {
        for (var i = 0; i < count; i++) Assert.True(await _time.WaitForTimerAsync(TimeSpan.FromSeconds(5)), "the queue set no timer");
    }

    /// <summary>The next cluster ready, or null when none is within a moment (timers fire on the thread pool).</summary>
    private static async Task<string?> TryTakeAsync(ClusterWorkQueue queue)
    {
        using var moment = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        try { return await queue.TakeAsync(moment.Token); }
        catch (OperationCanceledException) { return null; }
    }
}
