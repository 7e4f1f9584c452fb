using System.Collections.Concurrent;
using System.Net.Http.Json;
using PacketCluster.Engine;
using PacketCluster.Engine.Metal;
using PacketCluster.Simulator.Hosting;
using Xunit;

namespace PacketCluster.Simulator.Tests.Client;

/// <summary>The engine's client against the real simulator on loopback: no fakes on either side.</summary>
public sealed class PacketClientAgainstSimulatorTests : IAsyncLifetime
{
    private SimulatorHost _simulator = null!;

    public async Task InitializeAsync() => _simulator = await SimulatorHost.StartAsync(new SimulatorOptions { Seed = 1234 });

    public async Task DisposeAsync() => await _simulator.DisposeAsync();

    private PacketClient Client(IEngineLog log, int maxAttempts = 6) => new(new PacketApiOptions
    {
        Endpoint = _simulator.BaseUrl,
        ApiKey = _simulator.ApiKey,
        ProjectId = _simulator.ProjectId,
        MaxAttempts = maxAttempts,
        RetryBaseDelay = TimeSpan.FromMilliseconds(5),
        // Short cap: the simulator's 429s name a reset up to a minute away; the test must not sleep that long.
        RetryMaxDelay = TimeSpan.FromMilliseconds(50),
    }, log);

    [Fact]
    public async Task Lists_500_devices_across_pages_under_30_percent_injected_429_and_503()
    {
        using var setup = Client(NullEngineLog.Instance);
        var tag = "cluster-api-provider-packet:cluster-id:load";
        await Parallel.ForEachAsync(Enumerable.Range(0, 500), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            await setup.CreateDeviceAsync(_simulator.ProjectId, new DeviceCreateRequest
            {
                // Two metros: the seeded catalogue has 400 c3.small.x86 servers per metro.
                Hostname = $"load-{i:D3}", Plan = "c3.small.x86", OperatingSystem = "ubuntu_22_04", Metro = i % 2 == 0 ? "sv" : "ny",
                BillingCycle = "hourly", Tags = [tag],
            }, ct));

        await PutFaultsAsync("""
            {"requests":[
              {"name":"throttle","path":"/**/devices","methods":["GET"],"rate":0.15,"status":429},
              {"name":"unavailable","path":"/**/devices","methods":["GET"],"rate":0.18,"status":503}]}
            """);

        var log = new RecordingLog();
        using var client = Client(log, maxAttempts: 10);
        var devices = await client.ListDevicesAsync(_simulator.ProjectId, new DeviceListFilter { Tag = tag, PerPage = 20 });

        Assert.Equal(500, devices.Count);
        Assert.Equal(500, devices.Select(d => d.Id).Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"load-{i:D3}"), devices.Select(d => d.Hostname!).Order());
        var retries = log.Messages.Count(m => m.Contains("retry", StringComparison.OrdinalIgnoreCase));
        Assert.InRange(retries, 1, 25 * 9); // 25 pages: some faults hit; never more than pages × (attempts − 1)
        Assert.DoesNotContain(log.Messages, m => m.Contains(_simulator.ApiKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_key_is_unauthorized_and_never_echoed()
    {
        using var client = new PacketClient(new PacketApiOptions { Endpoint = _simulator.BaseUrl, ApiKey = "not-the-key-123" }, NullEngineLog.Instance);
        var ex = await Assert.ThrowsAsync<PacketApiUnauthorizedException>(() => client.GetProjectAsync(_simulator.ProjectId));
        Assert.Equal("PacketApiUnauthorized", ex.ErrorId);
        Assert.DoesNotContain("not-the-key-123", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Device_create_is_not_retried_on_503()
    {
        await PutFaultsAsync("""{"requests":[{"name":"down","path":"/**/devices","methods":["POST"],"rate":1.0,"status":503}]}""");
        var log = new RecordingLog();
        using var client = Client(log);
        await Assert.ThrowsAsync<PacketApiServerException>(() => client.CreateDeviceAsync(_simulator.ProjectId, new DeviceCreateRequest
        {
            Hostname = "once", Plan = "c3.small.x86", OperatingSystem = "ubuntu_22_04", Metro = "sv", BillingCycle = "hourly",
        }));
        using var admin = AdminClient();
        var counts = await admin.GetStringAsync("requests");
        Assert.Contains("POST", counts);
        Assert.DoesNotContain(log.Messages, m => m.Contains("retry", StringComparison.OrdinalIgnoreCase));
    }

    private HttpClient AdminClient()
    {
        var http = new HttpClient { BaseAddress = _simulator.AdminUrl };
        http.DefaultRequestHeaders.Add("X-Auth-Token", _simulator.ApiKey);
        return http;
    }

    private async Task PutFaultsAsync(string json)
    {
        using var admin = AdminClient();
        using var response = await admin.PutAsync("faults", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();
    }

    private sealed class RecordingLog : IEngineLog
    {
        private readonly ConcurrentQueue<string> _messages = new();
        public IReadOnlyCollection<string> Messages => _messages;
        public void Write(EngineMessage message) => _messages.Enqueue(message.Text);
    }
}
