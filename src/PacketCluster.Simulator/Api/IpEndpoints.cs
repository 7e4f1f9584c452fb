using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PacketCluster.Simulator.State;

namespace PacketCluster.Simulator.Api;

/// <summary>
/// Elastic IPs (packet-api.md §2): reservations in their own loopback pool, assignments to devices
/// (<c>management:false</c>, visible in both the device and the reservation), <c>/ips/{id}</c> for either.
/// </summary>
public static class IpEndpoints
{
    public static void Map(IEndpointRouteBuilder api, ApiContext ctx)
    {
        var world = ctx.World;

        api.MapPost("/projects/{id}/ips", async (string id, HttpRequest request) =>
        {
            var body = await Body.ReadAsync(request);
            return ctx.Write(() =>
            {
                ctx.RequireProject(id);
                return ApiContext.Json(ctx.Render.Reservation(Reserve(world, body), Expansion.From(request)), 201);
            });
        });

        api.MapGet("/projects/{id}/ips", (string id, HttpRequest request) => ctx.Read(() =>
        {
            ctx.RequireProject(id);
            var types = request.Query["types"].Concat(request.Query["types[]"]).Concat(request.Query["type"])
                .SelectMany(t => (t ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries)).ToHashSet();
            var reservations = world.Data.Reservations.Where(r => types.Count == 0 || types.Contains(r.Type)).OrderBy(r => r.CreatedAt).ToList();
            var x = Expansion.From(request);
            // The IP list's per_page default is 250 (equinix-sdk-go paginate-ips patch).
            return ApiContext.Json(Paging.Page(request, "ip_addresses", reservations, r => ctx.Render.Reservation(r, x), defaultPerPage: 250));
        }));

        api.MapGet("/devices/{id}/ips", (string id) => ctx.Read(() =>
        {
            var device = ctx.RequireDevice(id);
            var ips = ctx.Render.ManagementIps(device).Concat(world.Data.Assignments.Where(a => a.DeviceId == id).Select(ctx.Render.Assignment));
            return ApiContext.Json(new JsonObject { ["ip_addresses"] = new JsonArray(ips.Select(i => (JsonNode?)i).ToArray()) });
        }));

        api.MapPost("/devices/{id}/ips", async (string id, HttpRequest request) =>
        {
            var body = await Body.ReadAsync(request);
            return ctx.Write(() =>
            {
                var device = ctx.RequireDevice(id);
                return ApiContext.Json(ctx.Render.Assignment(Assign(world, device, body)), 201);
            });
        });

        api.MapGet("/ips/{id}", (string id, HttpRequest request) => ctx.Read(() => ApiContext.Json(Find(ctx, id, Expansion.From(request)))));

        api.MapMethods("/ips/{id}", ["PATCH", "PUT"], async (string id, HttpRequest request) =>
        {
            var body = await Body.ReadAsync(request);
            return ctx.Write(() =>
            {
                if (world.Data.Reservations.FirstOrDefault(r => r.Id == id) is { } r)
                {
                    if (body.ContainsKey("details")) r.Details = Body.String(body, "details");
                    if (Body.StrictStrings(body, "tags") is { } tags) r.Tags = tags;
                    if (Body.Object(body, "customdata") is { } cd) r.Customdata = (JsonObject)cd.DeepClone();
                }
                return ApiContext.Json(Find(ctx, id, Expansion.From(request)));
            });
        });

        api.MapDelete("/ips/{id}", (string id) => ctx.Write(() =>
        {
            if (world.Data.Assignments.FirstOrDefault(a => a.Id == id) is { } assignment)
            {
                world.Data.Assignments.Remove(assignment); // an assignment id unassigns
                return Results.StatusCode(204);
            }
            if (world.Data.Reservations.FirstOrDefault(r => r.Id == id) is { } reservation)
            {
                if (world.Data.Assignments.Any(a => a.ReservationId == id))
                    throw ApiException.Unprocessable("Cannot delete an IP reservation while it is assigned to a device; unassign it first");
                world.Data.Reservations.Remove(reservation);
                return Results.StatusCode(204);
            }
            if (world.Data.Devices.Any(d => d.PublicIpv4Id == id || d.PrivateIpv4Id == id || d.PublicIpv6Id == id))
                throw ApiException.Unprocessable("Management IP addresses cannot be unassigned");
            throw ApiException.NotFound();
        }));
    }

    private static JsonObject Find(ApiContext ctx, string id, Expansion x)
    {
        var world = ctx.World;
        if (world.Data.Reservations.FirstOrDefault(r => r.Id == id) is { } reservation) return ctx.Render.Reservation(reservation, x);
        if (world.Data.Assignments.FirstOrDefault(a => a.Id == id) is { } assignment) return ctx.Render.Assignment(assignment);
        foreach (var device in world.Data.Devices.Where(d => d.State != "failed"))
            if (ctx.Render.ManagementIps(device).FirstOrDefault(i => i["id"]!.GetValue<string>() == id) is { } ip) return ip;
        throw ApiException.NotFound();
    }

    private static IpReservationRecord Reserve(World world, JsonObject body)
    {
        var cat = world.Catalogue;
        var type = Body.String(body, "type");
        var quantity = Body.Integer(body, "quantity");
        var problems = new List<string>();
        if (string.IsNullOrEmpty(type)) problems.Add("type is required");
        else if (type != "public_ipv4") problems.Add($"{type} reservations are not available in this project"); // the simulator serves elastic public IPv4 only
        if (quantity is null) problems.Add("quantity is required");
        else if (quantity is < 1 or > 256 || (quantity & (quantity - 1)) != 0) problems.Add("quantity must be a power of 2 between 1 and 256");
        var metroCode = Body.String(body, "metro");
        var facilityCode = Body.String(body, "facility");
        Catalogue.MetroEntry? metro = null;
        Catalogue.FacilityEntry? facility = null;
        if (string.IsNullOrEmpty(metroCode) && string.IsNullOrEmpty(facilityCode)) problems.Add("metro or facility is required");
        if (!string.IsNullOrEmpty(facilityCode))
        {
            facility = cat.FindFacility(facilityCode);
            if (facility is null) problems.Add($"{facilityCode} is not a valid facility");
        }
        if (!string.IsNullOrEmpty(metroCode))
        {
            metro = cat.FindMetro(metroCode);
            if (metro is null) problems.Add($"{metroCode} is not a valid metro");
        }
        if (problems.Count > 0) throw ApiException.Unprocessable(problems.ToArray());
        metro ??= cat.FindMetro(facility!.Metro)!;

        // Aligned blocks, never reused: an address once handed out is not handed out again.
        var size = (long)quantity!.Value;
        // The block after the network address: a /32 starts at offset 1, a /30 at 4, never at the range's base.
        var next = Math.Max(world.Data.NextElasticOffset, (long)world.ElasticIpv4.FirstUsable);
        var offset = (next + size - 1) / size * size;
        if (!world.ElasticIpv4.Fits((UInt128)offset, (UInt128)size))
            throw ApiException.Unprocessable("No more IP addresses are available in this metro");
        world.Data.NextElasticOffset = offset + size;
        var record = new IpReservationRecord
        {
            Id = world.NewId(), Type = type!, Network = world.ElasticIpv4.At((UInt128)offset).ToString(),
            Cidr = 32 - (int)Math.Log2(size), Metro = metro.Code, Facility = facility?.Code,
            Tags = Body.StrictStrings(body, "tags") ?? new(), Details = Body.String(body, "details"),
            Customdata = (Body.Object(body, "customdata")?.DeepClone() as JsonObject) ?? new JsonObject(),
            CreatedAt = world.Now,
        };
        world.Data.Reservations.Add(record);
        return record;
    }

    /// <summary>Address bare (CAPP) or with /cidr (packngo): both accepted (packet-api.md §2).</summary>
    private static IpAssignmentRecord Assign(World world, DeviceRecord device, JsonObject body)
    {
        var raw = Body.String(body, "address");
        if (string.IsNullOrWhiteSpace(raw)) throw ApiException.Unprocessable("address is required");
        var parts = raw.Trim().Split('/');
        if (!IPAddress.TryParse(parts[0], out var address) || address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork)
            throw ApiException.Unprocessable($"{raw} is not a valid IP address");
        var cidr = 32;
        if (parts.Length > 1 && (!int.TryParse(parts[1], out cidr) || cidr is < 0 or > 32))
            throw ApiException.Unprocessable($"{raw} is not a valid IP address");
        var value = AddressPool.ToNumber(address);
        var reservation = world.Data.Reservations.FirstOrDefault(r =>
        {
            var start = AddressPool.ToNumber(IPAddress.Parse(r.Network));
            return value >= start && value < start + ((UInt128)1 << (32 - r.Cidr));
        }) ?? throw ApiException.Unprocessable($"{raw} is not part of an IP reservation in this project");
        if (cidr < reservation.Cidr) throw ApiException.Unprocessable($"{raw} is larger than its reservation /{reservation.Cidr}");
        if (reservation.Metro != device.Metro)
            throw ApiException.Unprocessable($"{raw} is reserved in metro {reservation.Metro} but the device is in {device.Metro}");
        var text = address.ToString();
        if (world.Data.Assignments.Any(a => a.Address == text)) throw ApiException.Unprocessable($"{text} is already assigned");
        var assignment = new IpAssignmentRecord
        {
            Id = world.NewId(), ReservationId = reservation.Id, DeviceId = device.Id, Address = text, Cidr = cidr, CreatedAt = world.Now,
        };
        world.Data.Assignments.Add(assignment);
        device.UpdatedAt = world.Now;
        return assignment;
    }
}
