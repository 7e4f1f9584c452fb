using PacketCluster.Engine.Controllers;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Controllers;

public sealed class MachineReadinessTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static Machine M(string? phase, DateTimeOffset? lastUpdated = null, bool deleting = false) => new()
    {
        Metadata = new ObjectMeta { Name = "m", DeletionTimestamp = deleting ? Now : null },
        Status = new MachineStatus { Phase = phase, LastUpdated = lastUpdated },
    };

    [Theory]
    [InlineData(Phases.Running, true)]
    [InlineData(Phases.Provisioned, true)]
    [InlineData(Phases.Provisioning, false)]
    [InlineData(Phases.Pending, false)]
    [InlineData(Phases.Failed, false)]
    [InlineData(Phases.Deleting, false)]
    [InlineData(null, false)]
    public void ReadyMeansRunningOrProvisioned(string? phase, bool ready) => Assert.Equal(ready, MachineReadiness.IsReady(M(phase)));

    [Fact]
    public void ADeletingMachineIsNeverReady() => Assert.False(MachineReadiness.IsReady(M(Phases.Running, deleting: true)));

    [Fact]
    public void AvailableOnlyAfterMinReadySecondsSinceThePhaseChanged()
    {
        var machine = M(Phases.Running, lastUpdated: Now.AddSeconds(-20));
        Assert.True(MachineReadiness.IsAvailable(machine, minReadySeconds: 0, Now));
        Assert.True(MachineReadiness.IsAvailable(machine, minReadySeconds: 20, Now));
        Assert.False(MachineReadiness.IsAvailable(machine, minReadySeconds: 30, Now));
        Assert.Equal(TimeSpan.FromSeconds(10), MachineReadiness.RemainingUntilAvailable(machine, 30, Now));
    }
}
