using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PacketCluster.Simulator.Api;
using PacketCluster.Simulator.Boot;
using PacketCluster.Simulator.Config;
using YamlDotNet.Core;

namespace PacketCluster.Simulator.Hosting;

/// <summary>
/// Simulator-only controls under /_simulator (same port, same key): fault rules and rate limit at run time,
/// reset, request counts, and "fail this device now". Bodies are JSON (or YAML) in the config file's camelCase.
/// </summary>
public static class AdminEndpoints
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new DurationJsonConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void Map(IEndpointRouteBuilder app, ApiContext ctx, FaultInjector faults, RateLimiter limiter, RequestCounter counter, DeviceBooter booter)
    {
        var admin = app.MapGroup(ApiPipeline.AdminPrefix);
        var world = ctx.World;

        admin.MapGet("/faults", () => Serialize(CurrentFaults(world)));
        admin.MapGet("/faults/applied", () => Serialize(faults.Applied()));
        admin.MapPut("/faults", async (HttpRequest request) =>
        {
            var config = await ReadYaml<FaultConfig>(request);
            var problems = SimulatorConfigLoader.ValidateFaults(config).ToList();
            if (problems.Count > 0) throw ApiException.Unprocessable(problems.ToArray());
            lock (world.Gate) world.Config.Faults = config;
            faults.Replace(config.Requests);
            return Serialize(config);
        });

        admin.MapGet("/rate-limit", () => Serialize(limiter.Config));
        admin.MapPut("/rate-limit", async (HttpRequest request) =>
        {
            var config = await ReadYaml<RateLimitConfig>(request);
            if (config.Requests < 0 || config.Window <= TimeSpan.Zero) throw ApiException.Unprocessable("requests must be >= 0 and window positive");
            lock (world.Gate) world.Config.RateLimit = config;
            limiter.Replace(config);
            return Serialize(config);
        });

        admin.MapPost("/reset", () =>
        {
            lock (world.Gate) world.Reset();
            counter.Clear();
            limiter.Reset();
            faults.Replace(world.Config.Faults.Requests);
            return Results.StatusCode(204);
        });

        admin.MapGet("/requests", () =>
        {
            var counts = counter.Snapshot();
            var requests = new JsonObject();
            foreach (var (key, n) in counts) requests[key] = n;
            return ApiContext.Json(new JsonObject { ["total"] = counts.Values.Sum(), ["maxInFlight"] = counter.MaxInFlight, ["requests"] = requests });
        });
        admin.MapDelete("/requests", () => { counter.Clear(); return Results.StatusCode(204); });

        admin.MapPost("/devices/{id}/fail", (string id) => ctx.Write(() =>
        {
            var device = world.FindDevice(id) ?? throw ApiException.NotFound();
            world.Lifecycle.FailNow(device, world.Now, (type, body, at) => world.AddEvent(device, type, body, at));
            return Results.StatusCode(204);
        }));

        // What a person on the device's serial console would read: the boot log (files written, processes started
        // with pids and ports, readiness, errors). Kept after the device is deleted.
        admin.MapGet("/devices/{id}/console", (string id) =>
            booter.ConsoleText(id) is { } text ? Results.Text(text, "text/plain; charset=utf-8") : throw ApiException.NotFound());
    }

    private static FaultConfig CurrentFaults(State.World world) { lock (world.Gate) return world.Config.Faults; }

    private static IResult Serialize<T>(T value) => ApiContext.Json(JsonSerializer.SerializeToNode(value, Json)!);

    private static async Task<T> ReadYaml<T>(HttpRequest request) where T : new()
    {
        var text = await Api.Body.ReadBoundedAsync(request, SimulatorConfigLoader.MaxBytes);
        try { SimulatorConfigLoader.CheckSyntax(text, "body"); }
        catch (SimulatorConfigException e) { throw ApiException.Unprocessable(e.Message); }
        try { return SimulatorConfigLoader.Deserializer.Deserialize<T>(text) ?? new T(); }
        catch (YamlException e)
        {
            throw ApiException.Unprocessable($"invalid body at line {e.Start.Line}: {e.InnerException?.Message ?? e.Message}");
        }
    }

    private sealed class DurationJsonConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DurationYamlConverter.Parse(reader.GetString() ?? "", "json");
        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteStringValue(DurationYamlConverter.Format(value));
    }
}
