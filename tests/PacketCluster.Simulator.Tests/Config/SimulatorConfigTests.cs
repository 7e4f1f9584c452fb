using PacketCluster.Simulator.Config;
using PacketCluster.Simulator.Hosting;
using Xunit;

namespace PacketCluster.Simulator.Tests.Config;

public sealed class SimulatorConfigTests
{
    [Theory]
    [InlineData("publicIpv4", "10.0.0.0/16")]
    [InlineData("privateIpv4", "192.168.0.0/24")]
    [InlineData("elasticIpv4", "147.75.0.0/16")]
    [InlineData("publicIpv4", "0.0.0.0/0")]
    [InlineData("publicIpv6", "2604:1380::/36")]
    public async Task RefusesToStartWithAnAddressRangeOutsideLoopbackOrDocumentation(string key, string range)
    {
        var yaml = $"""
            apiVersion: packetcluster.io/v1alpha1
            kind: SimulatorConfig
            addresses:
              {key}: {range}
            """;
        var e = Assert.Throws<SimulatorConfigException>(() => SimulatorConfigLoader.Parse(yaml));
        Assert.Contains(range, e.Message);

        var config = TestSimulator.FastConfig();
        typeof(AddressRanges).GetProperty(char.ToUpperInvariant(key[0]) + key[1..])!.SetValue(config.Addresses, range);
        await Assert.ThrowsAsync<SimulatorConfigException>(() => SimulatorHost.StartAsync(new SimulatorOptions { Config = config }));
    }

    [Fact]
    public void ParsesAFullConfig()
    {
        var config = SimulatorConfigLoader.Parse("""
            apiVersion: packetcluster.io/v1alpha1
            kind: SimulatorConfig
            seed: 42
            timings:
              queued: {duration: 2s, jitter: 500ms}
              provisioning: {duration: 1m}
            addresses:
              publicIpv4: 127.80.0.0/16
              publicIpv6: 2001:db8:80::/48
            rateLimit: {requests: 100, window: 10s}
            faults:
              requests:
                - {path: /projects/*/devices, methods: [POST], status: 503, rate: 0.2}
                - {path: /devices/*, latency: 250ms, times: 3}
              provisioning:
                - {hostname: "^bad-", rate: 1}
            boot: {enabled: false}
            """);
        Assert.Equal(42, config.Seed);
        Assert.False(config.Boot.Enabled);
        Assert.True(new SimulatorConfig().Boot.Enabled); // booting is on unless switched off
        Assert.Equal(TimeSpan.FromMilliseconds(500), config.Timings.Queued.Jitter);
        Assert.Equal(TimeSpan.FromMinutes(1), config.Timings.Provisioning.Duration);
        Assert.Equal(2, config.Faults.Requests.Count);
        Assert.Equal(TimeSpan.FromMilliseconds(250), config.Faults.Requests[1].Latency);
    }

    [Theory]
    [InlineData("kind: Nope")]
    [InlineData("apiVersion: packetcluster.io/v9")]
    [InlineData("unknownKey: 1")]
    [InlineData("timings: {queued: {duration: soon}}")]
    [InlineData("faults: {requests: [{path: /x, status: 200}]}")]
    [InlineData("rateLimit: {requests: -1}")]
    public void RejectsBadConfigWithAClearMessage(string yaml)
    {
        var e = Assert.Throws<SimulatorConfigException>(() => SimulatorConfigLoader.Parse(yaml));
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
    }
}
