using PacketCluster.Engine.Operations;
using Xunit;

namespace PacketCluster.Engine.Tests.Operations;

public sealed class NearestCodesTests
{
    [Theory]
    [InlineData("da", "da", 0)]
    [InlineData("dx", "da", 1)]
    [InlineData("", "sv", 2)]
    [InlineData("kitten", "sitting", 3)]
    public void Distance_IsLevenshtein(string a, string b, int distance) => Assert.Equal(distance, NearestCodes.Distance(a, b));

    [Fact]
    public void Nearest_AreTheClosestFirst_ThenAlphabetical_IgnoringCase()
    {
        Assert.Equal(["da", "dc", "am"], NearestCodes.To("DX", ["sv", "am", "dc", "da", "ny"], 3));
    }
}
