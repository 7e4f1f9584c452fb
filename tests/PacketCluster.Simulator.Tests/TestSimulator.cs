using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using PacketCluster.Simulator.Config;
using PacketCluster.Simulator.Hosting;
using PacketCluster.Simulator.Tests.Contract;
using Xunit;

namespace PacketCluster.Simulator.Tests;

/// <summary>A clock the test moves by hand: the device lifecycle reads time only from it.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;
    public ManualClock() : this(new DateTimeOffset(2025, 1, 1, 12, 0, 0, TimeSpan.Zero)) { }
    public override DateTimeOffset GetUtcNow() => _now;
    public void Advance(TimeSpan by) => _now += by;
}

/// <summary>An in-process simulator on 127.0.0.1 plus an HttpClient whose every response is contract-checked.</summary>
public sealed class TestSimulator : IAsyncDisposable
{
    public SimulatorHost Host { get; }
    public HttpClient Http { get; }
    public ManualClock Clock { get; }
    public string ProjectId => Host.ProjectId;

    /// <summary>Whether an address is in this simulator's elastic IPv4 pool (its own block: simulators running at once never share one).</summary>
    public bool IsElastic(string address) =>
        System.Net.IPNetwork.Parse(Host.World.Config.Addresses.ElasticIpv4).Contains(System.Net.IPAddress.Parse(address));

    private TestSimulator(SimulatorHost host, ManualClock clock)
    {
        Host = host;
        Clock = clock;
        Http = new HttpClient(new ContractCheckingHandler()) { BaseAddress = host.BaseUrl, Timeout = TimeSpan.FromSeconds(20) };
        Http.DefaultRequestHeaders.Add("X-Auth-Token", host.ApiKey);
        Http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    /// <summary>Fixed, jitter-free timings: queued 10 s, provisioning 60 s, everything else 10 s; booting off.</summary>
    public static SimulatorConfig FastConfig(int seed = 7) => new()
    {
        Seed = seed,
        Timings = new DeviceTimings
        {
            Queued = new(TimeSpan.FromSeconds(10)),
            Provisioning = new(TimeSpan.FromSeconds(60)),
            Deprovisioning = new(TimeSpan.FromSeconds(10)),
            PowerOff = new(TimeSpan.FromSeconds(10)),
            PowerOn = new(TimeSpan.FromSeconds(10)),
            Reinstall = new(TimeSpan.FromSeconds(10)),
            FailedVisible = new(TimeSpan.FromSeconds(30)),
        },
        RateLimit = new RateLimitConfig { Requests = 100_000, Window = TimeSpan.FromMinutes(1) },
        // Booting starts real control planes (~400 MB each) on the default addresses; only the boot tests want that.
        Boot = new BootConfig { Enabled = false },
    };

    public static async Task<TestSimulator> StartAsync(SimulatorConfig? config = null, string? stateDir = null, ManualClock? clock = null, PacketCluster.Simulator.Boot.IKubeletLauncher? kubelets = null)
    {
        clock ??= new ManualClock();
        var options = new SimulatorOptions { Port = 0, Config = config ?? FastConfig(), StateDir = stateDir, TimeProvider = clock };
        if (kubelets is not null) options.KubeletLauncher = kubelets;
        var host = await SimulatorHost.StartAsync(options);
        return new TestSimulator(host, clock);
    }

    public async Task<(HttpResponseMessage Response, JsonNode? Body)> SendAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (body is not null)
            request.Content = body is string s ? new StringContent(s, Encoding.UTF8, "application/json") : JsonContent.Create(body);
        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public async Task<JsonNode> GetAsync(string path, int expect = 200)
    {
        var (response, body) = await SendAsync(HttpMethod.Get, path);
        Assert.True(expect == (int)response.StatusCode, $"GET {path}: {(int)response.StatusCode} {body?.ToJsonString()}");
        return body!;
    }

    public async Task<JsonNode?> SendExpectAsync(HttpMethod method, string path, object? body, int expect)
    {
        var (response, json) = await SendAsync(method, path, body);
        Assert.True(expect == (int)response.StatusCode, $"{method} {path}: {(int)response.StatusCode} {json?.ToJsonString()}");
        return json;
    }

    public async Task<JsonNode> CreateDeviceAsync(string hostname, string? metro = "sv", string? facility = null, string plan = "c3.small.x86", string[]? tags = null, string? userdata = null)
    {
        var body = new Dictionary<string, object?> { ["hostname"] = hostname, ["plan"] = plan, ["operating_system"] = "ubuntu_22_04", ["billing_cycle"] = "hourly" };
        if (metro is not null) body["metro"] = metro;
        if (facility is not null) body["facility"] = facility;
        if (tags is not null) body["tags"] = tags;
        if (userdata is not null) body["userdata"] = userdata;
        return (await SendExpectAsync(HttpMethod.Post, $"projects/{ProjectId}/devices", body, 201))!;
    }

    public static IReadOnlyList<string> Errors(JsonNode? body) => body!["errors"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();

    public HttpClient AdminClient()
    {
        var admin = new HttpClient { BaseAddress = Host.AdminUrl };
        admin.DefaultRequestHeaders.Add("X-Auth-Token", Host.ApiKey);
        return admin;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Host.DisposeAsync();
    }
}
