using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PacketCluster.Simulator.Catalogue;

namespace PacketCluster.Simulator.Api;

/// <summary>Metros, facilities, plans, operating systems and capacity: the read-only catalogue (unpaged lists).</summary>
public static class CatalogueEndpoints
{
    public static void Map(IEndpointRouteBuilder api, ApiContext ctx)
    {
        var cat = ctx.World.Catalogue;

        api.MapGet("/locations/metros", () => ctx.Read(() => ApiContext.Json(new JsonObject
        {
            ["metros"] = new JsonArray(cat.Metros.Select(m => (JsonNode?)ctx.Render.Metro(m)).ToArray()),
        })));
        api.MapGet("/locations/metros/{id}", (string id) => ctx.Read(() =>
            ApiContext.Json(ctx.Render.Metro(cat.Metros.FirstOrDefault(m => m.Id == id) ?? throw ApiException.NotFound()))));

        IResult Facilities() => ctx.Read(() => ApiContext.Json(new JsonObject
        {
            ["facilities"] = new JsonArray(cat.Facilities.Select(f => (JsonNode?)ctx.Render.Facility(f)).ToArray()),
        }));
        api.MapGet("/facilities", Facilities);
        api.MapGet("/projects/{id}/facilities", (string id) => { lock (ctx.World.Gate) ctx.RequireProject(id); return Facilities(); });

        IResult Plans(HttpRequest request) => ctx.Read(() =>
        {
            var x = Expansion.From(request);
            IEnumerable<PlanEntry> plans = cat.Plans;
            var slug = request.Query["slug"].ToString();
            if (slug.Length > 0) plans = plans.Where(p => p.Slug == slug);
            var type = request.Query["type"].ToString();
            if (type.Length > 0) plans = plans.Where(p => p.Type == type);
            var categories = request.Query["categories"].Concat(request.Query["categories[]"]).SelectMany(c => (c ?? "").Split(',')).Where(c => c.Length > 0).ToList();
            if (categories.Count > 0) plans = plans.Where(p => p.Categories.Any(categories.Contains));
            var deployment = request.Query["deployment_type"].ToString();
            if (deployment.Length > 0) plans = plans.Where(p => p.DeploymentTypes.Contains(deployment));
            return ApiContext.Json(new JsonObject { ["plans"] = new JsonArray(plans.Select(p => (JsonNode?)ctx.Render.Plan(p, x)).ToArray()) });
        });
        api.MapGet("/plans", Plans);
        api.MapGet("/projects/{id}/plans", (string id, HttpRequest request) => { lock (ctx.World.Gate) ctx.RequireProject(id); return Plans(request); });

        api.MapGet("/operating-systems", () => ctx.Read(() => ApiContext.Json(new JsonObject
        {
            ["operating_systems"] = new JsonArray(cat.OperatingSystems.Select(o => (JsonNode?)ctx.Render.OperatingSystem(o)).ToArray()),
        })));

        api.MapPost("/capacity", async (HttpRequest request) =>
        {
            var body = await Body.ReadAsync(request);
            return ctx.Read(() => ApiContext.Json(CheckCapacity(ctx, body, byMetro: false)));
        });
        api.MapPost("/capacity/metros", async (HttpRequest request) =>
        {
            var body = await Body.ReadAsync(request);
            return ctx.Read(() => ApiContext.Json(CheckCapacity(ctx, body, byMetro: true)));
        });
        api.MapGet("/capacity", () => ctx.Read(() => ApiContext.Json(CapacityReport(ctx, byMetro: false))));
        api.MapGet("/capacity/metros", () => ctx.Read(() => ApiContext.Json(CapacityReport(ctx, byMetro: true))));
    }

    /// <summary>POST /capacity[/metros]: the same items back with <c>available</c> (packet-api.md §2); quantity is a string in the spec.</summary>
    private static JsonObject CheckCapacity(ApiContext ctx, JsonObject body, bool byMetro)
    {
        var cat = ctx.World.Catalogue;
        var servers = body["servers"] as JsonArray ?? throw ApiException.Unprocessable("servers is required");
        var results = new JsonArray();
        foreach (var item in servers)
        {
            var server = item as JsonObject ?? throw ApiException.Unprocessable("servers must be a list of objects");
            var planSlug = Body.String(server, "plan") ?? throw ApiException.Unprocessable("plan is required");
            var plan = cat.FindPlan(planSlug) ?? throw ApiException.Unprocessable($"{planSlug} is not a valid plan");
            var quantity = Body.Integer(server, "quantity") ?? 1;
            int free;
            var result = new JsonObject();
            if (byMetro)
            {
                var code = Body.String(server, "metro") ?? throw ApiException.Unprocessable("metro is required");
                var metro = cat.FindMetro(code) ?? throw ApiException.Unprocessable($"{code} is not a valid metro");
                free = cat.FacilitiesIn(metro).Sum(f => ctx.World.FreeServers(plan, f));
                result["metro"] = code;
            }
            else
            {
                var code = Body.String(server, "facility") ?? throw ApiException.Unprocessable("facility is required");
                var facility = cat.FindFacility(code) ?? throw ApiException.Unprocessable($"{code} is not a valid facility");
                free = ctx.World.FreeServers(plan, facility);
                result["facility"] = code;
            }
            result["plan"] = planSlug;
            result["quantity"] = quantity.ToString(System.Globalization.CultureInfo.InvariantCulture);
            result["available"] = free >= quantity;
            results.Add(result);
        }
        return new JsonObject { ["servers"] = results };
    }

    private static JsonObject CapacityReport(ApiContext ctx, bool byMetro)
    {
        var cat = ctx.World.Catalogue;
        var report = new JsonObject();
        if (byMetro)
        {
            foreach (var metro in cat.Metros)
            {
                var plans = new JsonObject();
                foreach (var plan in cat.Plans.Where(p => cat.FacilitiesIn(metro).Any(f => p.Availability.ContainsKey(f.Code))))
                    plans[plan.Slug] = Level(cat.FacilitiesIn(metro).Sum(f => ctx.World.FreeServers(plan, f)));
                report[metro.Code] = plans;
            }
        }
        else
        {
            foreach (var facility in cat.Facilities)
            {
                var plans = new JsonObject();
                foreach (var plan in cat.Plans.Where(p => p.Availability.ContainsKey(facility.Code)))
                    plans[plan.Slug] = Level(ctx.World.FreeServers(plan, facility));
                report[facility.Code] = plans;
            }
        }
        return new JsonObject { ["capacity"] = report };
    }

    private static JsonObject Level(int free) => new()
    {
        ["level"] = free switch { 0 => "unavailable", < 5 => "critical", < 20 => "limited", _ => "normal" },
        ["available_servers"] = free,
    };
}
