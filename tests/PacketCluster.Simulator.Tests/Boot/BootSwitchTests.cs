using System.Net;
using Xunit;

namespace PacketCluster.Simulator.Tests.Boot;

/// <summary>boot.enabled: false: an active device runs nothing and its console says why; no binaries needed.</summary>
public sealed class BootSwitchTests
{
    [Fact]
    public async Task BootingOff_ConsoleSaysSo_UnknownDeviceIs404()
    {
        await using var sim = await TestSimulator.StartAsync(); // FastConfig: boot.enabled false
        using var admin = sim.AdminClient();
        var id = (await sim.CreateDeviceAsync("off-0", userdata: "#cloud-config\nruncmd:\n- kubeadm init\n"))["id"]!.GetValue<string>();

        Assert.Equal("", await admin.GetStringAsync($"devices/{id}/console")); // queued: nothing on the console yet
        sim.Clock.Advance(TimeSpan.FromSeconds(80));
        var started = DateTime.UtcNow;
        string console;
        do
        {
            await Task.Delay(200);
            console = await admin.GetStringAsync($"devices/{id}/console");
        }
        while (console.Length == 0 && DateTime.UtcNow - started < TimeSpan.FromSeconds(20));
        Assert.Contains("booting is off (SimulatorConfig boot.enabled: false)", console);
        Assert.Null(sim.Host.Booter.Machine(id));

        using var missing = await admin.GetAsync($"devices/{Guid.NewGuid()}/console");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
