using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using PacketCluster.Bench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// build/Bench.ps1 runs the parts; each writes what it measured as JSON for the one results table.
switch (args)
{
    // seed2019 ENDPOINT ADMIN-ENDPOINT PROJECT NAME WORKERS OUT.json (the API key in PACKET_API_KEY, never on a command line)
    case ["seed2019", var endpoint, var adminEndpoint, var project, var name, var workers, var output]:
        await RunSeed2019Async(new Uri(endpoint), new Uri(adminEndpoint), project, name, int.Parse(workers, CultureInfo.InvariantCulture), output);
        return 0;
    // manager SIMULATOR.dll OUT.json [CLUSTERS WORKERS-PER-CLUSTER]
    case ["manager", var simulator, var output, var clusters, var workers]:
        await ManagerBench.RunAsync(simulator, output, int.Parse(clusters, CultureInfo.InvariantCulture), int.Parse(workers, CultureInfo.InvariantCulture));
        return 0;
    case ["manager", var simulator, var output]:
        await ManagerBench.RunAsync(simulator, output);
        return 0;
    // chart RESULTS-DIR: time-to-ready.svg from clusters.json, manager-memory.svg from parts/manager-memory.json when there is one
    case ["chart", var directory]:
        BenchCharts.Draw(directory);
        return 0;
    default:
        Console.Error.WriteLine("usage: PacketCluster.Bench seed2019 ENDPOINT ADMIN PROJECT NAME WORKERS OUT.json | manager SIMULATOR.dll OUT.json [CLUSTERS WORKERS] | chart DIR");
        return 2;
}

static async Task RunSeed2019Async(Uri endpoint, Uri adminEndpoint, string project, string name, int workers, string output)
{
    var key = Environment.GetEnvironmentVariable("PACKET_API_KEY") ?? throw new InvalidOperationException("PACKET_API_KEY is not set");
    using var packet = new HttpClient { BaseAddress = endpoint, Timeout = TimeSpan.FromSeconds(30) };
    packet.DefaultRequestHeaders.Add("X-Auth-Token", key);
    using var admin = new HttpClient { BaseAddress = adminEndpoint, Timeout = TimeSpan.FromSeconds(30) };
    admin.DefaultRequestHeaders.Add("X-Auth-Token", key);

    var model = new Seed2019FlowModel(packet, project, Seed2019FlowModel.SeedPoll);
    (await admin.DeleteAsync("requests")).EnsureSuccessStatusCode();
    var seconds = await model.CreateAsync(name, workers, "sv", "c3.small.x86", "ubuntu_22_04", TimeSpan.FromMinutes(20), CancellationToken.None);
    await model.DeleteAsync(name, CancellationToken.None);
    var counts = (await admin.GetFromJsonAsync<JsonObject>("requests"))!;
    var result = new JsonObject
    {
        ["seconds"] = seconds, ["machines"] = workers + 1, ["requests"] = counts["total"]!.GetValue<int>(),
        ["counts"] = counts["requests"]!.DeepClone(),
    };
    await File.WriteAllTextAsync(output, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    // The seed never waits for its deletes; the next run should not see these devices.
    var deadline = DateTime.UtcNow.AddMinutes(2);
    while (DateTime.UtcNow < deadline)
    {
        var devices = (await packet.GetFromJsonAsync<JsonObject>($"projects/{project}/devices?per_page=1000"))!["devices"]!.AsArray();
        if (!devices.OfType<JsonObject>().Any(d => d["tags"]?.AsArray().Any(t => t?.GetValue<string>() == "cluster-api-provider-packet:cluster-id:" + name) == true)) return;
        await Task.Delay(TimeSpan.FromSeconds(1));
    }
    Console.Error.WriteLine($"2019 flow: devices of {name} still listed 2 minutes after their delete");
}
