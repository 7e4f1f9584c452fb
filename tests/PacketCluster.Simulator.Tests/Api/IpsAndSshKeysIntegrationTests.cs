using System.Net;
using Xunit;

namespace PacketCluster.Simulator.Tests.Api;

public sealed class IpsAndSshKeysIntegrationTests
{
    [Fact]
    public async Task ReserveAssignUnassignDelete()
    {
        await using var sim = await TestSimulator.StartAsync();
        var device = await sim.CreateDeviceAsync("cp-1", metro: "da");
        var deviceId = device["id"]!.GetValue<string>();
        var reservation = await sim.SendExpectAsync(HttpMethod.Post, $"projects/{sim.ProjectId}/ips",
            new { type = "public_ipv4", quantity = 1, metro = "da", tags = new[] { "cluster-api-provider-packet:cluster-id:c1" }, fail_on_approval_required = true }, 201);
        var reservationId = reservation!["id"]!.GetValue<string>();
        var address = reservation["address"]!.GetValue<string>();
        Assert.True(sim.IsElastic(address), address);
        Assert.Equal(32, reservation["cidr"]!.GetValue<int>());

        var list = await sim.GetAsync($"projects/{sim.ProjectId}/ips?types=public_ipv4");
        Assert.Single(list["ip_addresses"]!.AsArray());
        Assert.Equal(1, list["meta"]!["total"]!.GetValue<int>());

        // packngo sends "<addr>/<cidr>", CAPP the bare address: both work.
        var assignment = await sim.SendExpectAsync(HttpMethod.Post, $"devices/{deviceId}/ips", new { address = address + "/32" }, 201);
        Assert.False(assignment!["management"]!.GetValue<bool>());
        var assignmentId = assignment["id"]!.GetValue<string>();
        var onDevice = await sim.GetAsync($"devices/{deviceId}");
        Assert.Contains(onDevice["ip_addresses"]!.AsArray(), i => i!["address"]!.GetValue<string>() == address && !i["management"]!.GetValue<bool>());
        Assert.Equal(4, (await sim.GetAsync($"devices/{deviceId}/ips"))["ip_addresses"]!.AsArray().Count);
        var withAssignments = await sim.GetAsync($"ips/{reservationId}");
        Assert.Single(withAssignments["assignments"]!.AsArray());
        Assert.Equal(assignmentId, (await sim.GetAsync($"ips/{assignmentId}"))["id"]!.GetValue<string>());

        var inUse = await sim.SendExpectAsync(HttpMethod.Delete, $"ips/{reservationId}", null, 422);
        Assert.NotEmpty(TestSimulator.Errors(inUse));
        await sim.SendExpectAsync(HttpMethod.Delete, $"ips/{assignmentId}", null, 204);
        Assert.Empty((await sim.GetAsync($"ips/{reservationId}"))["assignments"]!.AsArray());
        Assert.Equal(3, (await sim.GetAsync($"devices/{deviceId}"))["ip_addresses"]!.AsArray().Count);
        await sim.SendExpectAsync(HttpMethod.Post, $"devices/{deviceId}/ips", new { address }, 201);

        var patched = await sim.SendExpectAsync(HttpMethod.Patch, $"ips/{reservationId}", new { details = "control plane", tags = new[] { "t" } }, 200);
        Assert.Equal("control plane", patched!["details"]!.GetValue<string>());

        // Deleting the device releases the elastic IP, then the reservation can go.
        sim.Clock.Advance(TimeSpan.FromSeconds(71));
        await sim.SendExpectAsync(HttpMethod.Delete, $"devices/{deviceId}", null, 204);
        await sim.SendExpectAsync(HttpMethod.Delete, $"ips/{reservationId}", null, 204);
        await sim.GetAsync($"ips/{reservationId}", 404);

        var wrongMetro = await sim.SendExpectAsync(HttpMethod.Post, $"projects/{sim.ProjectId}/ips", new { type = "public_ipv4", quantity = 1, metro = "zz" }, 422);
        Assert.Equal(["zz is not a valid metro"], TestSimulator.Errors(wrongMetro));
    }

    [Fact]
    public async Task SshKeysUserAndProject()
    {
        await using var sim = await TestSimulator.StartAsync();
        var seeded = await sim.GetAsync($"projects/{sim.ProjectId}/ssh-keys");
        Assert.Single(seeded["ssh_keys"]!.AsArray());
        const string key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGJ1aWxkLXRlc3Qta2V5LWZvci1zaW11bGF0b3I= test";
        var user = await sim.SendExpectAsync(HttpMethod.Post, "ssh-keys", new { label = "mine", key }, 201);
        var project = await sim.SendExpectAsync(HttpMethod.Post, $"projects/{sim.ProjectId}/ssh-keys", new { label = "cluster", key }, 201);
        Assert.Equal(3, (await sim.GetAsync("ssh-keys"))["ssh_keys"]!.AsArray().Count);
        Assert.Single((await sim.GetAsync("ssh-keys?search=mine"))["ssh_keys"]!.AsArray());
        var id = user!["id"]!.GetValue<string>();
        var renamed = await sim.SendExpectAsync(HttpMethod.Patch, $"ssh-keys/{id}", new { label = "renamed" }, 200);
        Assert.Equal("renamed", renamed!["label"]!.GetValue<string>());
        await sim.SendExpectAsync(HttpMethod.Put, $"ssh-keys/{id}", new { label = "again" }, 200);
        Assert.Equal("again", (await sim.GetAsync($"ssh-keys/{id}"))["label"]!.GetValue<string>());
        await sim.SendExpectAsync(HttpMethod.Delete, $"ssh-keys/{id}", null, 204);
        await sim.GetAsync($"ssh-keys/{id}", 404);
        await sim.SendExpectAsync(HttpMethod.Post, "ssh-keys", new { label = "empty" }, 422);

        var device = await sim.SendExpectAsync(HttpMethod.Post, $"projects/{sim.ProjectId}/devices",
            new { plan = "c3.small.x86", operating_system = "ubuntu_20_04", metro = "sv", project_ssh_keys = new[] { project!["id"]!.GetValue<string>() } }, 201);
        Assert.Single(device!["ssh_keys"]!.AsArray());
    }
}
