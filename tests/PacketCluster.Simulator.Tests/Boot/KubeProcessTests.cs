using System.Diagnostics;
using PacketCluster.Simulator.Boot;
using Xunit;

namespace PacketCluster.Simulator.Tests.Boot;

public sealed class KubeProcessTests
{
    [Fact]
    public async Task StopSendsSigtermFirst_TheProcessIsGoneAfterwards_ItsOutputIsLogged()
    {
        var dir = Directory.CreateTempSubdirectory("pc-proc-").FullName;
        try
        {
            // sh traps TERM and says so: only a SIGTERM (not a SIGKILL) gets that line into the log.
            var process = KubeProcess.Start("trap", "/bin/sh", ["-c", "trap 'echo got TERM; exit 42' TERM; echo started; while true; do sleep 0.1; done"], dir, dir);
            var pid = process.ProcessId;
            var clock = Stopwatch.StartNew();
            while (!File.ReadAllText(process.LogPath).Contains("started") && clock.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
            Assert.Contains("started", process.Tail());

            await process.DisposeAsync();
            Assert.False(Directory.Exists($"/proc/{pid}"));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "SIGTERM should have ended it before the SIGKILL fallback");
            Assert.Contains("got TERM", await File.ReadAllTextAsync(Path.Combine(dir, "trap.log")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
