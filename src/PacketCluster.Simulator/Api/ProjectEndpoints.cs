using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace PacketCluster.Simulator.Api;

/// <summary>The one seeded project, its hardware reservations (none) and events.</summary>
public static class ProjectEndpoints
{
    public static void Map(IEndpointRouteBuilder api, ApiContext ctx)
    {
        api.MapGet("/projects", (HttpRequest request) => ctx.Read(() =>
        {
            var x = Expansion.From(request);
            var name = request.Query["name"].ToString();
            var projects = new[] { ctx.World.Data.Project }.Where(p => name.Length == 0 || p.Name == name).ToList();
            return ApiContext.Json(Paging.Page(request, "projects", projects, _ => ctx.Render.Project(x)));
        }));
        api.MapGet("/projects/{id}", (string id, HttpRequest request) => ctx.Read(() =>
        {
            ctx.RequireProject(id);
            return ApiContext.Json(ctx.Render.Project(Expansion.From(request)));
        }));
        api.MapGet("/projects/{id}/hardware-reservations", (string id, HttpRequest request) => ctx.Read(() =>
        {
            ctx.RequireProject(id);
            return ApiContext.Json(Paging.Page(request, "hardware_reservations", Array.Empty<JsonObject>(), r => r));
        }));

        // Events, newest first.
        api.MapGet("/projects/{id}/events", (string id, HttpRequest request) => ctx.Read(() =>
        {
            ctx.RequireProject(id);
            return ApiContext.Json(Paging.Page(request, "events", ctx.World.Data.Events.OrderByDescending(e => e.CreatedAt).ToList(), ctx.Render.Event));
        }));
        api.MapGet("/events", (HttpRequest request) => ctx.Read(() =>
            ApiContext.Json(Paging.Page(request, "events", ctx.World.Data.Events.OrderByDescending(e => e.CreatedAt).ToList(), ctx.Render.Event))));
        api.MapGet("/events/{id}", (string id) => ctx.Read(() =>
            ApiContext.Json(ctx.Render.Event(ctx.World.Data.Events.FirstOrDefault(e => e.Id == id) ?? throw ApiException.NotFound()))));
        api.MapGet("/devices/{id}/events", (string id, HttpRequest request) => ctx.Read(() =>
        {
            ctx.RequireDevice(id);
            return ApiContext.Json(Paging.Page(request, "events",
                ctx.World.Data.Events.Where(e => e.DeviceId == id).OrderByDescending(e => e.CreatedAt).ToList(), ctx.Render.Event));
        }));
    }
}
