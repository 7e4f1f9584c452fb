using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using PacketCluster.Simulator.Catalogue;
using PacketCluster.Simulator.Lifecycle;
using PacketCluster.Simulator.State;

namespace PacketCluster.Simulator.Api;

/// <summary>Device create/list/get/update/delete, actions and userdata (packet-api.md §2, §3, §6).</summary>
public static partial class DeviceEndpoints
{
    private static readonly string[] BillingCycles = ["hourly", "daily", "monthly", "yearly"];

    public static void Map(IEndpointRouteBuilder api, ApiContext ctx)
    {
        api.MapPost("/projects/{id}/devices", async (string id, HttpRequest request) =>
        {
            var body = await Body.ReadAsync(request);
            return ctx.Write(() =>
            {
                ctx.RequireProject(id);
                var device = Create(ctx, body);
                return ApiContext.Json(ctx.Render.Device(device, Expansion.From(request)), 201);
            });
        });

        api.MapGet("/projects/{id}/devices", (string id, HttpRequest request) => ctx.Read(() =>
        {
            ctx.RequireProject(id);
            var x = Expansion.From(request);
            return ApiContext.Json(Paging.Page(request, "devices", Filter(ctx, request).ToList(), d => ctx.Render.Device(d, x)));
        }));

        api.MapGet("/devices/{id}", (string id, HttpRequest request) => ctx.Read(() =>
            ApiContext.Json(ctx.Render.Device(ctx.RequireDevice(id), Expansion.From(request)))));

        // PATCH too: packngo Lock/Unlock and packet-python update with PATCH (packet-api.md §2).
        api.MapMethods("/devices/{id}", ["PUT", "PATCH"], async (string id, HttpRequest request) =>
        {
            var body = await Body.ReadAsync(request);
            return ctx.Write(() =>
            {
                var device = ctx.RequireDevice(id);
                Update(ctx, device, body);
                return ApiContext.Json(ctx.Render.Device(device, Expansion.From(request)));
            });
        });

        api.MapDelete("/devices/{id}", async (string id, HttpRequest request) =>
        {
            // force_delete arrives in the query (spec) or in a JSON body (packngo); it only matters for volumes, which the simulator has none of.
            await Body.ReadAsync(request);
            return ctx.Write(() =>
            {
                var device = ctx.RequireDevice(id);
                if (device.State is "queued" or "provisioning")
                    throw ApiException.Unprocessable("Cannot delete a device while it is provisioning");
                if (device.Locked)
                    throw ApiException.Unprocessable("Cannot delete a locked device"); // real text unknown (packet-api.md §2)
                if (device.State != "deprovisioning")
                {
                    // Elastic IPs are released at once so their reservation can be deleted right after.
                    ctx.World.Data.Assignments.RemoveAll(a => a.DeviceId == device.Id);
                    ctx.World.Lifecycle.Start(device, "delete", ctx.World.Now);
                    device.UpdatedAt = ctx.World.Now;
                }
                return Results.StatusCode(204);
            });
        });

        api.MapPost("/devices/{id}/actions", async (string id, HttpRequest request) =>
        {
            var body = await Body.ReadAsync(request);
            return ctx.Write(() =>
            {
                var device = ctx.RequireDevice(id);
                var type = Body.String(body, "type") ?? throw ApiException.Unprocessable("type is required");
                if (!DeviceLifecycle.Actions.Contains(type)) throw ApiException.Unprocessable($"{type} is not a valid action");
                if (!DeviceLifecycle.CanStart(type, device.State))
                    throw ApiException.Unprocessable($"Cannot {type.Replace('_', ' ')} a device that is {device.State.Replace('_', ' ')}");
                if (type == "reinstall" && Body.String(body, "operating_system") is { } osSlug)
                {
                    var os = ctx.World.Catalogue.FindOs(osSlug) ?? throw ApiException.Unprocessable($"{osSlug} is not a valid operating system");
                    device.OperatingSystem = os.Slug;
                }
                if (type == "reinstall" && device.Locked) throw ApiException.Unprocessable("Cannot reinstall a locked device");
                ctx.World.Lifecycle.Start(device, type, ctx.World.Now);
                device.UpdatedAt = ctx.World.Now;
                return Results.StatusCode(202);
            });
        });

        api.MapGet("/devices/{id}/userdata", (string id) => ctx.Read(() =>
            ApiContext.Json(new JsonObject { ["userdata"] = ctx.RequireDevice(id).Userdata })));
        api.MapGet("/devices/{id}/customdata", (string id) => ctx.Read(() => ApiContext.Json(ctx.RequireDevice(id).Customdata.DeepClone())));
    }

    private static IEnumerable<DeviceRecord> Filter(ApiContext ctx, HttpRequest request)
    {
        IEnumerable<DeviceRecord> devices = ctx.World.Data.Devices.OrderBy(d => d.CreatedAt).ThenBy(d => d.AddressIndex);
        var q = request.Query;
        if (q["tag"].ToString() is { Length: > 0 } tag) devices = devices.Where(d => d.Tags.Contains(tag));
        if (q["hostname"].ToString() is { Length: > 0 } hostname) devices = devices.Where(d => d.Hostname.Contains(hostname, StringComparison.OrdinalIgnoreCase));
        if (q["facility"].ToString() is { Length: > 0 } facility) devices = devices.Where(d => d.Facility.Equals(facility, StringComparison.OrdinalIgnoreCase));
        if (q["metro"].ToString() is { Length: > 0 } metro) devices = devices.Where(d => d.Metro.Equals(metro, StringComparison.OrdinalIgnoreCase));
        if (q["state"].ToString() is { Length: > 0 } state) devices = devices.Where(d => d.State == state);
        if (q["type"].ToString() is { Length: > 0 } type) devices = devices.Where(d => type == (d.SpotInstance ? "spot" : "ondemand"));
        if (q["search"].ToString() is { Length: > 0 } search) devices = devices.Where(d => Matches(ctx, d, search));
        return devices;
    }

    /// <summary><c>search</c>: hostname, description, tags, ids, IPs, plan/facility/metro/OS names and slugs (DeviceSearch.yaml).</summary>
    private static bool Matches(ApiContext ctx, DeviceRecord d, string term)
    {
        var plan = ctx.World.Catalogue.FindPlan(d.Plan);
        var os = ctx.World.Catalogue.FindOs(d.OperatingSystem);
        var facility = ctx.World.Catalogue.FindFacility(d.Facility);
        IEnumerable<string?> fields = [d.Hostname, d.Description, d.Id, d.Id[..8], d.Plan, plan?.Name, d.Facility, facility?.Name, d.Metro, d.OperatingSystem, os?.Name];
        fields = fields.Concat(d.Tags).Concat(ctx.World.ManagementAddresses(d)).Concat(ctx.World.Data.Assignments.Where(a => a.DeviceId == d.Id).Select(a => a.Address));
        return fields.Any(f => f is not null && f.Contains(term, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>What a booted control plane listens on: etcd client and peer, kube-apiserver, kube-controller-manager.</summary>
    private static readonly int[] BootPorts = [2379, 2380, 6443, 10257];

    /// <summary>
    /// An address whose control-plane ports something else holds (a process outside this simulator) is skipped, so a
    /// device never boots where it cannot bind. Bounded; Linux only (elsewhere only 127.0.0.1 can be bound, and devices
    /// boot only on Linux).
    /// </summary>
    private static void SkipBusyAddresses(State.World world)
    {
        if (!world.Config.Boot.Enabled || !OperatingSystem.IsLinux()) return;
        for (var tries = 0; tries < 256; tries++)
        {
            var address = world.PublicIpv4.At((UInt128)(2 * world.Data.NextAddressIndex + 1));
            if (Hosting.AddressSlot.PortsFree(address, BootPorts)) return;
            world.Data.NextAddressIndex++;
        }
    }

    private static void CheckUserdata(string? userdata)
    {
        if (userdata is not null && System.Text.Encoding.UTF8.GetByteCount(userdata) > Body.MaxUserdataBytes)
            throw ApiException.Unprocessable($"Userdata is too long (maximum is {Body.MaxUserdataBytes} bytes)");
    }

    private static DeviceRecord Create(ApiContext ctx, JsonObject body)
    {
        var world = ctx.World;
        var cat = world.Catalogue;
        var problems = new List<string>();

        var planSlug = Body.String(body, "plan");
        var osSlug = Body.String(body, "operating_system");
        var metroCode = Body.String(body, "metro");
        var facilityCodes = Body.Strings(body, "facility");
        if (string.IsNullOrEmpty(planSlug)) problems.Add("plan is required");
        if (string.IsNullOrEmpty(osSlug)) problems.Add("operating_system is required");
        if (string.IsNullOrEmpty(metroCode) && (facilityCodes is null || facilityCodes.Count == 0)) problems.Add("metro or facility is required");
        if (problems.Count > 0) throw ApiException.Unprocessable(problems.ToArray());

        var plan = cat.FindPlan(planSlug!);
        if (plan is null) problems.Add($"{planSlug} is not a valid plan");
        var os = cat.FindOs(osSlug!);
        if (os is null) problems.Add($"{osSlug} is not a valid operating system");
        if (plan is not null && os is not null && !os.ProvisionableOn.Contains(plan.Slug))
            problems.Add($"{os.Slug} is not provisionable on {plan.Slug}");

        MetroEntry? metro = null;
        var facilities = new List<FacilityEntry?>();
        if (!string.IsNullOrEmpty(metroCode) && metroCode != "any")
        {
            metro = cat.FindMetro(metroCode);
            if (metro is null) problems.Add($"{metroCode} is not a valid metro");
        }
        foreach (var code in facilityCodes ?? [])
        {
            if (code == "any") { facilities.Add(null); continue; }
            var facility = cat.FindFacility(code);
            if (facility is null) problems.Add($"{code} is not a valid facility"); // real text (packet-api.md §6)
            else if (metro is not null && facility.Metro != metro.Code) problems.Add($"{code} is not in metro {metro.Code}");
            else facilities.Add(facility);
        }

        var billing = Body.String(body, "billing_cycle") ?? "hourly";
        if (!BillingCycles.Contains(billing)) problems.Add($"{billing} is not a valid billing cycle");
        var hostname = Body.StrictString(body, "hostname");
        if (hostname is not null && !ValidHostname(hostname)) problems.Add($"Hostname {hostname} is invalid"); // RFC 1123; real rule undocumented
        Body.StrictStrings(body, "tags");
        CheckUserdata(Body.String(body, "userdata"));
        if (Body.String(body, "hardware_reservation_id") is { Length: > 0 }) problems.Add("Server is not provisionable");
        if (problems.Count > 0) throw ApiException.Unprocessable(problems.ToArray());

        var sshKeyIds = SshKeys(ctx, body);

        // Capacity last: it depends on everything above being valid.
        var chosen = ChooseFacility(ctx, plan!, metro, metroCode, facilities, facilityCodes);

        var now = world.Now;
        var id = world.NewId();
        SkipBusyAddresses(world);
        var device = new DeviceRecord
        {
            Id = id,
            Hostname = hostname ?? $"{plan!.Slug.Replace('.', '-')}-{id[..8]}",
            Description = Body.String(body, "description"),
            Tags = Body.Strings(body, "tags") ?? new(),
            Userdata = Body.String(body, "userdata") ?? "",
            Customdata = (Body.Object(body, "customdata")?.DeepClone() as JsonObject) ?? new JsonObject(),
            Locked = Body.Bool(body, "locked") ?? false,
            BillingCycle = billing,
            AlwaysPxe = Body.Bool(body, "always_pxe") ?? false,
            IpxeScriptUrl = Body.String(body, "ipxe_script_url"),
            SpotInstance = Body.Bool(body, "spot_instance") ?? false,
            SpotPriceMax = Body.Number(body, "spot_price_max"),
            TerminationTime = Body.String(body, "termination_time") is { } tt && DateTimeOffset.TryParse(tt, out var t) ? t : null,
            Plan = plan!.Slug,
            OperatingSystem = os!.Slug,
            Facility = chosen.Code,
            Metro = chosen.Metro,
            SshKeyIds = sshKeyIds,
            CreatedAt = now,
            UpdatedAt = now,
            RootPassword = world.NewSecret(),
            AddressIndex = world.Data.NextAddressIndex,
            PublicIpv4Id = world.NewId(),
            PrivateIpv4Id = world.NewId(),
            PublicIpv6Id = world.NewId(),
        };
        // Check that the pools have room before committing the index.
        _ = world.PublicIpv4.Reserve((UInt128)(2 * device.AddressIndex + 1));
        _ = world.PrivateIpv4.Reserve((UInt128)(2 * device.AddressIndex + 1));
        _ = world.PublicIpv6.Reserve((UInt128)(2 * device.AddressIndex + 1));
        world.Data.NextAddressIndex++;
        device.WillFail = ShouldFail(world, device.Hostname);
        world.Lifecycle.Start(device, "create", now);
        world.Data.Devices.Add(device);
        return device;
    }

    /// <summary>
    /// Keys to install. None named: every project key and the user's keys (DeviceCreateInput.yaml). None at all and
    /// no <c>no_ssh_keys</c>: the real 422 (packet-api.md §6).
    /// </summary>
    private static List<string> SshKeys(ApiContext ctx, JsonObject body)
    {
        var keys = ctx.World.Data.SshKeys;
        if (Body.Bool(body, "no_ssh_keys") == true) return new();
        var named = new List<string>();
        foreach (var field in new[] { "project_ssh_keys", "user_ssh_keys" })
            foreach (var keyId in Body.Strings(body, field) ?? [])
                named.Add(keys.FirstOrDefault(k => k.Id == keyId)?.Id ?? throw ApiException.Unprocessable($"SSH key {keyId} not found"));
        var inline = body["ssh_keys"] as JsonArray;
        if (inline is { Count: > 0 })
            foreach (var item in inline.OfType<JsonObject>())
                if (Body.String(item, "key") is { Length: > 0 } text)
                {
                    var now = ctx.World.Now;
                    var record = new SshKeyRecord { Id = ctx.World.NewId(), Label = Body.String(item, "label") ?? "", Key = text, Fingerprint = World.Fingerprint(text), Owner = "user", CreatedAt = now, UpdatedAt = now };
                    keys.Add(record);
                    named.Add(record.Id);
                }
        if (named.Count > 0) return named.Distinct().ToList();
        if (keys.Count == 0) throw ApiException.Unprocessable("must have at least one SSH key or explicitly send no_ssh_keys option");
        return keys.Select(k => k.Id).ToList();
    }

    private static FacilityEntry ChooseFacility(ApiContext ctx, PlanEntry plan, MetroEntry? metro, string? metroCode, List<FacilityEntry?> facilities, List<string>? facilityCodes)
    {
        var world = ctx.World;
        var cat = world.Catalogue;
        if (facilities.Count > 0 || facilityCodes is { Count: > 0 })
        {
            // Priority order; "any" means any facility (in the metro, if one was named) with room.
            foreach (var f in facilities)
            {
                var candidates = f is not null ? [f] : cat.Facilities.Where(c => metro is null || c.Metro == metro.Code);
                var pick = candidates.FirstOrDefault(c => world.FreeServers(plan, c) > 0);
                if (pick is not null) return pick;
            }
            var first = facilityCodes!.FirstOrDefault(c => c != "any") ?? "any";
            throw ApiException.Unprocessable($"The facility {first} has no provisionable {plan.Slug} servers matching your criteria");
        }
        var pool = metro is null ? cat.Facilities : cat.FacilitiesIn(metro).ToList();
        var chosen = pool.OrderByDescending(f => world.FreeServers(plan, f)).FirstOrDefault(f => world.FreeServers(plan, f) > 0);
        return chosen ?? throw ApiException.Unprocessable($"The metro {metroCode} has no provisionable {plan.Slug} servers matching your criteria");
    }

    private static bool ShouldFail(World world, string hostname)
    {
        foreach (var rule in world.Config.Faults.Provisioning)
        {
            if (rule.Hostname is not null && !Regex.IsMatch(hostname, rule.Hostname)) continue;
            if (rule.Rate >= 1 || world.Random.NextDouble() < rule.Rate) return true;
        }
        return false;
    }

    private static void Update(ApiContext ctx, DeviceRecord device, JsonObject body)
    {
        if (Body.StrictString(body, "hostname") is { } hostname)
        {
            if (!ValidHostname(hostname)) throw ApiException.Unprocessable($"Hostname {hostname} is invalid");
            device.Hostname = hostname;
        }
        if (body.ContainsKey("description")) device.Description = Body.String(body, "description");
        if (Body.String(body, "userdata") is { } userdata) { CheckUserdata(userdata); device.Userdata = userdata; }
        if (Body.Bool(body, "locked") is { } locked) device.Locked = locked;
        if (Body.StrictStrings(body, "tags") is { } tags) device.Tags = tags;
        if (Body.Bool(body, "always_pxe") is { } pxe) device.AlwaysPxe = pxe;
        if (body.ContainsKey("ipxe_script_url")) device.IpxeScriptUrl = Body.String(body, "ipxe_script_url");
        if (Body.Object(body, "customdata") is { } customdata) device.Customdata = (JsonObject)customdata.DeepClone();
        if (Body.String(body, "billing_cycle") is { } billing)
        {
            if (!BillingCycles.Contains(billing)) throw ApiException.Unprocessable($"{billing} is not a valid billing cycle");
            device.BillingCycle = billing;
        }
        if (Body.Bool(body, "network_frozen") is { } frozen) device.NetworkFrozen = frozen;
        if (Body.Bool(body, "spot_instance") == false) device.SpotInstance = false;
        device.UpdatedAt = ctx.World.Now;
    }

    private static bool ValidHostname(string hostname) => hostname.Length is > 0 and <= 253 && HostnamePattern().IsMatch(hostname);

    [GeneratedRegex(@"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")]
    private static partial Regex HostnamePattern();
}
