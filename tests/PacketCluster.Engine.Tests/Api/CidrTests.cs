using PacketCluster.Engine.Api;
using Xunit;

namespace PacketCluster.Engine.Tests.Api;

public class CidrTests
{
    [Theory]
    [InlineData("172.25.0.0/16", "172.26.0.0/16", false)]
    [InlineData("172.25.0.0/16", "172.25.128.0/17", true)]
    [InlineData("10.0.0.0/8", "10.96.0.0/12", true)]
    [InlineData("fd00::/64", "fd00::/48", true)]
    [InlineData("fd00::/64", "10.0.0.0/8", false)]
    public void Overlap(string a, string b, bool overlaps)
    {
        Assert.True(Cidr.TryParse(a, out var ca, out _));
        Assert.True(Cidr.TryParse(b, out var cb, out _));
        Assert.Equal(overlaps, ca!.Overlaps(cb!));
        Assert.Equal(overlaps, cb!.Overlaps(ca));
    }

    [Theory]
    [InlineData("172.25.0.0", "CIDR notation")]
    [InlineData("172.25.0.0/33", "prefix length")]
    [InlineData("172.25.1.0/16", "did you mean 172.25.0.0/16")]
    [InlineData("notacidr/8", "valid IP address")]
    [InlineData("300.1.1.1/8", "valid IP address")]
    public void Rejects_with_a_reason(string text, string reason)
    {
        Assert.False(Cidr.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Address_at_offset_gives_the_dns_service_address()
    {
        Assert.True(Cidr.TryParse("172.25.0.0/16", out var c, out _));
        Assert.Equal("172.25.0.10", c!.AddressAt(10).ToString());
    }
}
