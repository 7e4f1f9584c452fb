using System.Runtime.CompilerServices;
using Xunit;

namespace PacketCluster.Engine.Tests.Manifests;

/// <summary>
/// Compares rendered text with tests/PacketCluster.Engine.Tests/testdata/manifests/&lt;name&gt;.
/// Set PACKETCLUSTER_UPDATE_GOLDEN=1 to rewrite the files instead (then review the diff).
/// </summary>
internal static class GoldenFile
{
    public static void AssertMatches(string name, string actual, [CallerFilePath] string callerPath = "")
    {
        // The source tree, not the output folder: regenerated files must land where git sees them.
        var path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(callerPath)!, "..", "testdata", "manifests", name));
        if (Environment.GetEnvironmentVariable("PACKETCLUSTER_UPDATE_GOLDEN") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"Golden file {path} is missing; run the tests with PACKETCLUSTER_UPDATE_GOLDEN=1 to create it.");
        var expected = File.ReadAllText(path).Replace("\r\n", "\n");
        Assert.Equal(expected, actual);
    }
}
