using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using PacketCluster.Simulator.State;

namespace PacketCluster.Simulator.Api;

/// <summary>What every endpoint needs: the world under its lock, brought up to now, and the renderer.</summary>
public sealed class ApiContext(World world)
{
    public World World { get; } = world;
    public Renderer Render { get; } = new(world);

    /// <summary>Runs a read under the lock after advancing device lifecycles.</summary>
    public IResult Read(Func<IResult> action)
    {
        lock (World.Gate)
        {
            World.Tick();
            return action();
        }
    }

    /// <summary>Runs a mutation under the lock and persists the world before answering.</summary>
    public IResult Write(Func<IResult> action)
    {
        lock (World.Gate)
        {
            World.Tick();
            var result = action();
            World.Save();
            return result;
        }
    }

    public static IResult Json(JsonNode body, int status = 200) =>
        Results.Text(body.ToJsonString(), "application/json; charset=utf-8", statusCode: status);

    public void RequireProject(string id)
    {
        if (!string.Equals(id, World.Data.Project.Id, StringComparison.OrdinalIgnoreCase)) throw ApiException.NotFound();
    }

    /// <summary>
    /// A device by id. A failed device answers 403 until it is moved out of the project, then 404
    /// (CAPP: "When a server fails to provision it will return a 403"; packet-api.md §2).
    /// </summary>
    public DeviceRecord RequireDevice(string id)
    {
        var device = World.FindDevice(id) ?? throw ApiException.NotFound();
        if (device.State == "failed") throw new ApiException(403, "You are not authorized to view this device");
        return device;
    }
}
