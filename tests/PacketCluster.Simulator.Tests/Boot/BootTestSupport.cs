using System.Text.RegularExpressions;
using PacketCluster.Simulator.Boot;
using Xunit;

namespace PacketCluster.Simulator.Tests.Boot;

/// <summary>What the boot tests that run real binaries share.</summary>
internal static partial class BootTestSupport
{
    /// <summary>Fails (never skips) without the binaries, so CI cannot pass without having built them.</summary>
    public static void RequireBinaries()
    {
        var missing = KubeBinaries.Default().Missing();
        Assert.True(missing.Count == 0,
            $"Missing Kubernetes binaries {string.Join(", ", missing)}: run ./build.sh KubeBinaries (set {KubeBinaries.CacheVariable} for another cache).");
    }

    /// <summary>
    /// The fast timings with booting on, on addresses of a test's own (127.X.block…block+2.0/24 for public, private and
    /// elastic IPs, X random), so a simulator in another test (or another worktree's run) cannot hold its ports.
    /// </summary>
    public static PacketCluster.Simulator.Config.SimulatorConfig BootingConfig(int block)
    {
        var octet = Random.Shared.Next(100, 250);
        var config = TestSimulator.FastConfig();
        config.Boot = new PacketCluster.Simulator.Config.BootConfig { Enabled = true };
        config.Addresses = new PacketCluster.Simulator.Config.AddressRanges
        {
            PublicIpv4 = $"127.{octet}.{block}.0/24", PrivateIpv4 = $"127.{octet}.{block + 1}.0/24", ElasticIpv4 = $"127.{octet}.{block + 2}.0/24",
        };
        return config;
    }

    /// <summary>The process ids a device console reports ("etcd: started pid 123 on …").</summary>
    public static List<int> StartedPids(string console) =>
        StartedPid().Matches(console).Select(m => int.Parse(m.Groups[1].Value)).ToList();

    [GeneratedRegex(@"started pid (\d+)")]
    private static partial Regex StartedPid();
}
