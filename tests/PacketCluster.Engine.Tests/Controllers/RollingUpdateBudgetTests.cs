using PacketCluster.Engine.Controllers;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Controllers;

public sealed class RollingUpdateBudgetTests
{
    [Theory]
    [InlineData(null, null, 10, 1, 0)]      // shipped defaults: one extra, none missing
    [InlineData("25%", "25%", 10, 3, 2)]    // surge rounds up, unavailable rounds down
    [InlineData("0", "0", 3, 0, 1)]         // both zero could never move: unavailable becomes 1
    [InlineData("2", "50%", 5, 2, 2)]
    public void ResolvesIntOrPercent(string? surge, string? unavailable, int replicas, int expectedSurge, int expectedUnavailable)
    {
        var budget = RollingUpdateBudget.For(new MachineRollingUpdateDeployment { MaxSurge = surge, MaxUnavailable = unavailable }, replicas);
        Assert.Equal(new RollingUpdateBudget(expectedSurge, expectedUnavailable), budget);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("one")]
    [InlineData("10 %")]
    public void RefusesOtherText(string value)
    {
        var ex = Assert.Throws<PacketClusterException>(() => RollingUpdateBudget.For(new MachineRollingUpdateDeployment { MaxSurge = value }, 3));
        Assert.Equal("InvalidRollingUpdate", ex.ErrorId);
        Assert.Contains("maxSurge", ex.Message);
    }
}
