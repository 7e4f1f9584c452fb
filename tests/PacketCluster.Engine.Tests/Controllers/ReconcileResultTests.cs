using PacketCluster.Engine.Controllers;
using Xunit;

namespace PacketCluster.Engine.Tests.Controllers;

public sealed class ReconcileResultTests
{
    private static readonly ReconcileResult Short = ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(5));
    private static readonly ReconcileResult Long = ReconcileResult.RequeueAfter(TimeSpan.FromMinutes(1));

    [Fact]
    public void The_shortest_requeue_wins_and_done_only_when_both_are_done()
    {
        Assert.Equal(Short, ReconcileResult.Combine(Short, Long));
        Assert.Equal(Short, ReconcileResult.Combine(Long, Short));
        Assert.Equal(Long, ReconcileResult.Combine(ReconcileResult.Done, Long));
        Assert.Equal(Long, ReconcileResult.Combine(Long, ReconcileResult.Done));
        Assert.True(ReconcileResult.Combine(ReconcileResult.Done, ReconcileResult.Done).IsDone);
    }

    [Fact]
    public void A_negative_interval_means_now()
    {
        Assert.Equal(TimeSpan.Zero, ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(-3)).RequeueAfterInterval);
        Assert.False(ReconcileResult.RequeueAfter(TimeSpan.Zero).IsDone);
    }
}
