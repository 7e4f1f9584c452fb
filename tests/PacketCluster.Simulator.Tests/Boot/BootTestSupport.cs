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

    /// <summary>The process ids a device console reports ("etcd: started pid 123 on …").</summary>
    public static List<int> StartedPids(string console) =>
        StartedPid().Matches(console).Select(m => int.Parse(m.Groups[1].Value)).ToList();

    [GeneratedRegex(@"started pid (\d+)")]
    private static partial Regex StartedPid();
}
