using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PacketCluster.Simulator.State;

namespace PacketCluster.Simulator.Api;

/// <summary>User keys (/ssh-keys) and project keys (/projects/{id}/ssh-keys); one id space, unpaged lists.</summary>
public static class SshKeyEndpoints
{
    public static void Map(IEndpointRouteBuilder api, ApiContext ctx)
    {
        JsonObject List(IEnumerable<SshKeyRecord> keys, HttpRequest request)
        {
            var search = request.Query["search"].ToString();
            if (search.Length > 0)
                keys = keys.Where(k => k.Label.Contains(search, StringComparison.OrdinalIgnoreCase) || k.Key.Contains(search, StringComparison.Ordinal) || k.Fingerprint.Contains(search, StringComparison.OrdinalIgnoreCase));
            return new JsonObject { ["ssh_keys"] = new JsonArray(keys.Select(k => (JsonNode?)ctx.Render.SshKey(k)).ToArray()) };
        }

        IResult Create(JsonObject body, string owner) => ctx.Write(() =>
        {
            var key = Body.String(body, "key");
            if (string.IsNullOrWhiteSpace(key)) throw ApiException.Unprocessable("Key can't be blank");
            if (!key.StartsWith("ssh-", StringComparison.Ordinal) && !key.StartsWith("ecdsa-", StringComparison.Ordinal))
                throw ApiException.Unprocessable("Key is invalid");
            var now = ctx.World.Now;
            var record = new SshKeyRecord
            {
                Id = ctx.World.NewId(), Label = Body.String(body, "label") ?? "", Key = key.Trim(),
                Fingerprint = World.Fingerprint(key), Tags = Body.Strings(body, "tags") ?? new(), Owner = owner,
                CreatedAt = now, UpdatedAt = now,
            };
            ctx.World.Data.SshKeys.Add(record);
            return ApiContext.Json(ctx.Render.SshKey(record), 201);
        });

        api.MapGet("/ssh-keys", (HttpRequest request) => ctx.Read(() => ApiContext.Json(List(ctx.World.Data.SshKeys, request))));
        api.MapPost("/ssh-keys", async (HttpRequest request) => Create(await Body.ReadAsync(request), "user"));
        api.MapGet("/projects/{id}/ssh-keys", (string id, HttpRequest request) => ctx.Read(() =>
        {
            ctx.RequireProject(id);
            return ApiContext.Json(List(ctx.World.Data.SshKeys.Where(k => k.Owner == "project"), request));
        }));
        api.MapPost("/projects/{id}/ssh-keys", async (string id, HttpRequest request) =>
        {
            var body = await Body.ReadAsync(request);
            lock (ctx.World.Gate) ctx.RequireProject(id);
            return Create(body, "project");
        });

        SshKeyRecord Find(string id) => ctx.World.Data.SshKeys.FirstOrDefault(k => k.Id == id) ?? throw ApiException.NotFound();
        api.MapGet("/ssh-keys/{id}", (string id) => ctx.Read(() => ApiContext.Json(ctx.Render.SshKey(Find(id)))));
        api.MapMethods("/ssh-keys/{id}", ["PUT", "PATCH"], async (string id, HttpRequest request) =>
        {
            var body = await Body.ReadAsync(request);
            return ctx.Write(() =>
            {
                var key = Find(id);
                if (Body.String(body, "label") is { } label) key.Label = label;
                if (Body.String(body, "key") is { } text)
                {
                    if (string.IsNullOrWhiteSpace(text)) throw ApiException.Unprocessable("Key can't be blank");
                    key.Key = text.Trim();
                    key.Fingerprint = World.Fingerprint(text);
                }
                if (Body.Strings(body, "tags") is { } tags) key.Tags = tags;
                key.UpdatedAt = ctx.World.Now;
                return ApiContext.Json(ctx.Render.SshKey(key));
            });
        });
        api.MapDelete("/ssh-keys/{id}", (string id) => ctx.Write(() =>
        {
            ctx.World.Data.SshKeys.Remove(Find(id));
            return Results.StatusCode(204);
        }));
    }
}
