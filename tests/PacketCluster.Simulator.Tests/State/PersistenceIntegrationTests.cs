using Xunit;

namespace PacketCluster.Simulator.Tests.State;

public sealed class PersistenceIntegrationTests
{
    [Fact]
    public async Task DevicesIpsKeysAndEventsSurviveARestart()
    {
        var dir = Directory.CreateTempSubdirectory("packetsim-state-").FullName;
        try
        {
            var clock = new ManualClock();
            string projectId, deviceId, reservationId, keyId;
            await using (var sim = await TestSimulator.StartAsync(TestSimulator.FastConfig(), dir, clock))
            {
                projectId = sim.ProjectId;
                deviceId = (await sim.CreateDeviceAsync("keep-me", tags: ["persist"]))["id"]!.GetValue<string>();
                reservationId = (await sim.SendExpectAsync(HttpMethod.Post, $"projects/{projectId}/ips", new { type = "public_ipv4", quantity = 2, metro = "sv" }, 201))!["id"]!.GetValue<string>();
                keyId = (await sim.SendExpectAsync(HttpMethod.Post, "ssh-keys", new { label = "k", key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHBlcnNpc3RlbmNlLXRlc3Q= p" }, 201))!["id"]!.GetValue<string>();
                clock.Advance(TimeSpan.FromSeconds(40)); // mid-provisioning at shutdown
                Assert.Equal("provisioning", (await sim.GetAsync($"devices/{deviceId}"))["state"]!.GetValue<string>());
            }
            if (!OperatingSystem.IsWindows())
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "state.json")));

            clock.Advance(TimeSpan.FromSeconds(40));
            await using (var sim = await TestSimulator.StartAsync(TestSimulator.FastConfig(seed: 99), dir, clock))
            {
                Assert.Equal(projectId, sim.ProjectId);
                var device = await sim.GetAsync($"devices/{deviceId}");
                Assert.Equal("active", device["state"]!.GetValue<string>()); // the lifecycle resumed from stored instants
                Assert.Equal(6, (await sim.GetAsync($"devices/{deviceId}/events"))["events"]!.AsArray().Count);
                Assert.Equal(31, (await sim.GetAsync($"ips/{reservationId}"))["cidr"]!.GetValue<int>());
                await sim.GetAsync($"ssh-keys/{keyId}");
                // New devices never reuse an address.
                var second = await sim.CreateDeviceAsync("after-restart");
                Assert.NotEqual(device["ip_addresses"]![0]!["address"]!.GetValue<string>(), second["ip_addresses"]![0]!["address"]!.GetValue<string>());
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
