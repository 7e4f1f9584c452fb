using System.Globalization;
using System.Text.Json.Nodes;
using PacketCluster.Simulator.Catalogue;
using PacketCluster.Simulator.Lifecycle;
using PacketCluster.Simulator.State;

namespace PacketCluster.Simulator.Api;

/// <summary>
/// Builds response bodies in the spec's snake_case shapes (../metal-openapi components/schemas). Hrefs carry
/// the Metal-era <c>/metal/v1</c> prefix (packet-api.md §1). Where the real service sends <c>null</c> but the
/// schema has no null (Meta.next/previous, Event.created_at, Device.description), the key is left out instead.
/// </summary>
public sealed class Renderer(World world)
{
    public const string Prefix = "/metal/v1";

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
    private static JsonObject Href(string path) => new() { ["href"] = Prefix + path };
    private static JsonArray Strings(IEnumerable<string> items) => new(items.Select(s => (JsonNode?)s).ToArray());

    public JsonObject Metro(MetroEntry m) => new()
    {
        ["id"] = m.Id, ["code"] = m.Code, ["name"] = m.Name, ["country"] = m.Country,
    };

    public JsonObject Facility(FacilityEntry f)
    {
        var metro = world.Catalogue.FindMetro(f.Metro)!;
        return new JsonObject
        {
            ["id"] = f.Id, ["code"] = f.Code, ["name"] = f.Name,
            ["features"] = Strings(f.Features),
            // Loopback/documentation ranges only: nothing the simulator names may point anywhere real.
            ["ip_ranges"] = Strings([world.Config.Addresses.PublicIpv4, world.Config.Addresses.PublicIpv6]),
            ["metro"] = Metro(metro),
        };
    }

    public JsonObject Plan(PlanEntry p, Expansion x, bool availability = true)
    {
        var plan = new JsonObject
        {
            ["id"] = p.Id, ["slug"] = p.Slug, ["name"] = p.Name, ["description"] = p.Description,
            ["line"] = p.Line, ["class"] = p.Class, ["type"] = p.Type, ["legacy"] = p.Legacy,
            ["categories"] = Strings(p.Categories),
            ["deployment_types"] = Strings(p.DeploymentTypes),
            ["pricing"] = new JsonObject { ["hour"] = p.Price },
            ["specs"] = global::PacketCluster.Simulator.Catalogue.Catalogue.ToJson(p.Specs),
        };
        if (!availability) return plan; // a device's plan carries no availability lists
        var facilities = p.Availability.Keys.Select(c => world.Catalogue.FindFacility(c)!).ToList();
        // Without include the availability lists are href-only (packet-api.md §2, PPY get_plans.json).
        plan["available_in"] = new JsonArray(facilities.Select(f =>
        {
            var item = x.Includes("available_in") ? Facility(f) : new JsonObject();
            item["href"] = $"{Prefix}/facilities/{f.Id}";
            item["price"] = new JsonObject { ["hour"] = p.PriceIn(f.Code) };
            return (JsonNode?)item;
        }).ToArray());
        var metros = facilities.Select(f => world.Catalogue.FindMetro(f.Metro)!).DistinctBy(m => m.Code).ToList();
        plan["available_in_metros"] = new JsonArray(metros.Select(m =>
        {
            var item = x.Includes("available_in_metros") ? Metro(m) : new JsonObject();
            item["href"] = $"{Prefix}/locations/metros/{m.Id}";
            item["price"] = new JsonObject { ["hour"] = world.Catalogue.FacilitiesIn(m).Where(f => p.Availability.ContainsKey(f.Code)).Select(f => p.PriceIn(f.Code)).DefaultIfEmpty(p.Price).Min() };
            return (JsonNode?)item;
        }).ToArray());
        return plan;
    }

    public JsonObject OperatingSystem(OperatingSystemEntry o) => new()
    {
        ["id"] = o.Id, ["slug"] = o.Slug, ["name"] = o.Name, ["distro"] = o.Distro, ["version"] = o.Version,
        ["preinstallable"] = false, ["licensed"] = false, ["pricing"] = new JsonObject(),
        ["provisionable_on"] = Strings(o.ProvisionableOn),
        ["default_operating_system"] = o.Slug == "ubuntu_22_04",
    };

    public JsonObject UserLite()
    {
        var p = world.Data.Project;
        return new JsonObject
        {
            ["id"] = p.UserId, ["short_id"] = p.UserId[..8], ["href"] = $"{Prefix}/users/{p.UserId}",
            ["email"] = p.UserEmail, ["first_name"] = "Simulator", ["last_name"] = "User", ["full_name"] = "Simulator User",
            ["created_at"] = Time(p.CreatedAt), ["updated_at"] = Time(p.CreatedAt),
        };
    }

    public JsonObject Project(Expansion x)
    {
        var p = world.Data.Project;
        var keys = world.Data.SshKeys.Where(k => k.Owner == "project").ToList();
        return new JsonObject
        {
            ["id"] = p.Id, ["name"] = p.Name, ["href"] = $"{Prefix}/projects/{p.Id}",
            ["created_at"] = Time(p.CreatedAt), ["updated_at"] = Time(p.CreatedAt),
            ["type"] = "default", ["backend_transfer_enabled"] = false,
            ["customdata"] = new JsonObject(), ["network_status"] = new JsonObject(), ["max_devices"] = new JsonObject(),
            ["tags"] = new JsonArray(),
            ["organization"] = Href($"/organizations/{p.OrganizationId}"),
            ["payment_method"] = Href($"/payment-methods/{World.DerivedId(p.Id + "/payment")}"),
            ["bgp_config"] = Href($"/projects/{p.Id}/bgp-config"),
            ["devices"] = new JsonArray(world.Data.Devices.Select(d => (JsonNode?)Href($"/devices/{d.Id}")).ToArray()),
            ["ssh_keys"] = new JsonArray(keys.Select(k => (JsonNode?)Href($"/ssh-keys/{k.Id}")).ToArray()),
            ["members"] = new JsonArray(Href($"/users/{p.UserId}")),
            ["memberships"] = new JsonArray(Href($"/memberships/{World.DerivedId(p.Id + "/membership")}")),
            ["invitations"] = new JsonArray(),
            ["volumes"] = new JsonArray(),
        };
    }

    public JsonObject SshKey(SshKeyRecord k) => new()
    {
        ["id"] = k.Id, ["label"] = k.Label, ["key"] = k.Key, ["fingerprint"] = k.Fingerprint,
        ["created_at"] = Time(k.CreatedAt), ["updated_at"] = Time(k.UpdatedAt),
        ["href"] = $"{Prefix}/ssh-keys/{k.Id}", ["tags"] = Strings(k.Tags),
        ["entity"] = k.Owner == "project" ? Href($"/projects/{world.Data.Project.Id}") : Href($"/users/{world.Data.Project.UserId}"),
    };

    public JsonObject Event(EventRecord e) => new()
    {
        ["id"] = e.Id, ["type"] = e.Type, ["body"] = e.Body, ["interpolated"] = e.Body, ["state"] = e.State,
        ["created_at"] = Time(e.CreatedAt), ["href"] = $"{Prefix}/events/{e.Id}",
        ["relationships"] = e.DeviceId is null ? new JsonArray() : new JsonArray(Href($"/devices/{e.DeviceId}")),
        ["modified_by"] = new JsonObject { ["href"] = $"{Prefix}/users/{world.Data.Project.UserId}" },
    };

    /// <summary>The three management addresses of a layer-3 device: public v4 /31, public v6 /127, private v4 /31 (packet-api.md §3.2).</summary>
    public IEnumerable<JsonObject> ManagementIps(DeviceRecord d)
    {
        var metro = Metro(world.Catalogue.FindMetro(d.Metro)!);
        yield return ManagementIp(d, d.PublicIpv4Id, world.PublicIpv4, 4, true, 31, metro);
        yield return ManagementIp(d, d.PublicIpv6Id, world.PublicIpv6, 6, true, 127, metro);
        yield return ManagementIp(d, d.PrivateIpv4Id, world.PrivateIpv4, 4, false, 31, metro);
    }

    private JsonObject ManagementIp(DeviceRecord d, string id, AddressPool pool, int family, bool isPublic, int cidr, JsonObject metro)
    {
        var network = pool.At((UInt128)(2 * d.AddressIndex));
        var address = pool.At((UInt128)(2 * d.AddressIndex + 1));
        var ip = new JsonObject
        {
            ["id"] = id, ["address_family"] = family, ["netmask"] = family == 4 ? AddressPool.Netmask(cidr) : "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe",
            ["public"] = isPublic, ["cidr"] = cidr, ["management"] = true, ["manageable"] = true, ["enabled"] = true,
            ["global_ip"] = false, ["assigned_to"] = Href($"/devices/{d.Id}"),
            ["network"] = network.ToString(), ["address"] = address.ToString(), ["gateway"] = network.ToString(),
            ["href"] = $"{Prefix}/ips/{id}", ["created_at"] = Time(d.CreatedAt), ["metro"] = metro.DeepClone(),
        };
        // Parent blocks as on the real service (private /25-style); here just the pool, loopback like everything else.
        var parent = System.Net.IPNetwork.Parse(pool.Cidr);
        ip["parent_block"] = new JsonObject
        {
            ["network"] = parent.BaseAddress.ToString(), ["cidr"] = parent.PrefixLength,
            ["netmask"] = family == 4 ? AddressPool.Netmask(parent.PrefixLength) : "",
            ["href"] = $"{Prefix}/ips/{World.DerivedId(pool.Cidr)}",
        };
        if (family == 6) ip["parent_block"]!.AsObject().Remove("netmask");
        return ip;
    }

    public JsonObject Assignment(IpAssignmentRecord a)
    {
        var reservation = world.Data.Reservations.First(r => r.Id == a.ReservationId);
        return new JsonObject
        {
            ["id"] = a.Id, ["address_family"] = 4, ["address"] = a.Address, ["cidr"] = a.Cidr,
            ["netmask"] = AddressPool.Netmask(a.Cidr), ["network"] = a.Address, ["gateway"] = a.Address,
            ["public"] = reservation.Type == "public_ipv4", ["management"] = false, ["manageable"] = true,
            ["enabled"] = true, ["global_ip"] = false, ["state"] = "active",
            ["assigned_to"] = Href($"/devices/{a.DeviceId}"), ["href"] = $"{Prefix}/ips/{a.Id}",
            ["created_at"] = Time(a.CreatedAt),
            ["metro"] = Metro(world.Catalogue.FindMetro(reservation.Metro)!),
            ["parent_block"] = new JsonObject
            {
                ["network"] = reservation.Network, ["cidr"] = reservation.Cidr,
                ["netmask"] = AddressPool.Netmask(reservation.Cidr), ["href"] = $"{Prefix}/ips/{reservation.Id}",
            },
        };
    }

    public JsonObject Reservation(IpReservationRecord r, Expansion x)
    {
        var json = new JsonObject
        {
            ["id"] = r.Id, ["type"] = r.Type, ["address_family"] = 4, ["address"] = r.Network, ["network"] = r.Network,
            ["gateway"] = r.Network, ["cidr"] = r.Cidr, ["netmask"] = AddressPool.Netmask(r.Cidr),
            ["public"] = r.Type == "public_ipv4", ["management"] = false, ["manageable"] = true, ["addon"] = true,
            ["bill"] = true, ["enabled"] = true, ["global_ip"] = false,
            // Reservation states are pending|created|denied (packet-api.md §2); "created" also keeps a reservation
            // from matching IPAssignment (whose state enum lacks it) in GET /ips/{id}'s oneOf.
            ["state"] = "created",
            ["tags"] = Strings(r.Tags), ["customdata"] = r.Customdata.DeepClone(),
            ["created_at"] = Time(r.CreatedAt), ["href"] = $"{Prefix}/ips/{r.Id}",
            ["metro"] = Metro(world.Catalogue.FindMetro(r.Metro)!),
            ["project"] = x.Includes("project") ? Project(x) : Href($"/projects/{world.Data.Project.Id}"),
            ["project_lite"] = Href($"/projects/{world.Data.Project.Id}"),
            ["requested_by"] = Href($"/users/{world.Data.Project.UserId}"),
            ["assignments"] = new JsonArray(world.Data.Assignments.Where(a => a.ReservationId == r.Id).Select(a => (JsonNode?)Assignment(a)).ToArray()),
        };
        if (r.Details is not null) json["details"] = r.Details;
        if (r.Facility is not null) json["facility"] = Facility(world.Catalogue.FindFacility(r.Facility)!);
        return json;
    }

    public JsonObject Device(DeviceRecord d, Expansion x)
    {
        var now = world.Now;
        var plan = world.Catalogue.FindPlan(d.Plan)!;
        var os = world.Catalogue.FindOs(d.OperatingSystem)!;
        var facility = world.Catalogue.FindFacility(d.Facility)!;
        var metro = world.Catalogue.FindMetro(d.Metro)!;
        var shortId = d.Id[..8];
        var json = new JsonObject
        {
            ["id"] = d.Id, ["short_id"] = shortId, ["href"] = $"{Prefix}/devices/{d.Id}",
            ["hostname"] = d.Hostname, ["state"] = d.State,
            ["created_at"] = Time(d.CreatedAt), ["updated_at"] = Time(d.UpdatedAt),
            ["created_by"] = UserLite(),
            ["locked"] = d.Locked, ["billing_cycle"] = d.BillingCycle, ["tags"] = Strings(d.Tags),
            ["userdata"] = d.Userdata, ["customdata"] = d.Customdata.DeepClone(), ["user"] = "root",
            ["always_pxe"] = d.AlwaysPxe, ["network_frozen"] = d.NetworkFrozen, ["spot_instance"] = d.SpotInstance,
            ["bonding_mode"] = 4, ["iqn"] = $"iqn.2016-07.net.packet:device.{shortId}",
            ["switch_uuid"] = World.DerivedId(d.Facility + "/switch")[..8],
            ["sos"] = $"{d.Id}@sos.{d.Facility}.platformequinix.com",
            ["plan"] = x.Excludes("plan") ? Href($"/plans/{plan.Id}") : Plan(plan, Expansion.None, availability: false),
            ["operating_system"] = x.Excludes("operating_system") ? Href($"/operating-systems/{os.Id}") : OperatingSystem(os),
            ["facility"] = x.Excludes("facility") ? Href($"/facilities/{facility.Id}") : Facility(facility),
            ["metro"] = x.Excludes("metro") ? Href($"/locations/metros/{metro.Id}") : Metro(metro),
            ["project"] = x.Includes("project") ? Project(Expansion.None) : Href($"/projects/{world.Data.Project.Id}"),
            ["project_lite"] = Href($"/projects/{world.Data.Project.Id}"),
            ["ssh_keys"] = new JsonArray(d.SshKeyIds.Select(id => (JsonNode?)Href($"/ssh-keys/{id}")).ToArray()),
            ["volumes"] = new JsonArray(),
            ["network_ports"] = NetworkPorts(d),
            ["actions"] = new JsonArray(DeviceLifecycle.OfferedActions(d.State)
                .Select(a => (JsonNode?)new JsonObject { ["type"] = a, ["name"] = ActionName(a) }).ToArray()),
        };
        var ips = ManagementIps(d).Concat(world.Data.Assignments.Where(a => a.DeviceId == d.Id).Select(Assignment));
        json["ip_addresses"] = x.Excludes("ip_addresses")
            ? new JsonArray(ips.Select(i => (JsonNode?)new JsonObject { ["href"] = i["href"]!.GetValue<string>() }).ToArray())
            : new JsonArray(ips.Select(i => (JsonNode?)i).ToArray());
        if (d.Description is not null) json["description"] = d.Description;
        if (d.IpxeScriptUrl is not null) json["ipxe_script_url"] = d.IpxeScriptUrl;
        if (d.SpotPriceMax is { } spm) json["spot_price_max"] = spm;
        if (d.TerminationTime is { } tt) json["termination_time"] = Time(tt);
        if (d.State is "active" or "inactive" or "powering_on" or "powering_off" or "reinstalling"
            && now - d.CreatedAt < TimeSpan.FromHours(24))
            json["root_password"] = d.RootPassword; // removed after 24 h, like the real service
        if (DeviceLifecycle.ProvisioningPercentage(d, now) is { } pct) json["provisioning_percentage"] = pct;
        if (d.State is "queued" or "provisioning") json["provisioning_events"] = ProvisioningEvents(d);
        return json;
    }

    private static string ActionName(string action) => action switch
    {
        "power_on" => "Power On", "power_off" => "Power Off", "reboot" => "Reboot",
        "reinstall" => "Reinstall", "rescue" => "Rescue", _ => action,
    };

    /// <summary>Every provisioning step; the ones not reached yet have no created_at (the real service sends null).</summary>
    private JsonArray ProvisioningEvents(DeviceRecord d)
    {
        var reached = world.Data.Events.Where(e => e.DeviceId == d.Id && e.Type.StartsWith("provisioning.1")).ToDictionary(e => e.Type);
        return new JsonArray(DeviceLifecycle.ProvisioningSteps.Select(step =>
        {
            if (reached.TryGetValue(step.Type, out var e)) return (JsonNode?)Event(e);
            return new JsonObject
            {
                ["type"] = step.Type, ["body"] = step.Body.Replace("{addresses}", string.Join(", ", world.ManagementAddresses(d))),
                ["relationships"] = new JsonArray(Href($"/devices/{d.Id}")),
            };
        }).ToArray());
    }

    /// <summary>bond0 + eth0 + eth1, bonded, layer3: the default 2-NIC server (packet-api.md §3.2).</summary>
    private JsonArray NetworkPorts(DeviceRecord d)
    {
        var bondId = World.DerivedId(d.Id + "/bond0");
        JsonObject Port(string name, string type, int n) => new()
        {
            ["id"] = name == "bond0" ? bondId : World.DerivedId($"{d.Id}/{name}"),
            ["href"] = $"{Prefix}/ports/{(name == "bond0" ? bondId : World.DerivedId($"{d.Id}/{name}"))}",
            ["name"] = name, ["type"] = type, ["network_type"] = "layer3", ["disbond_operation_supported"] = true,
            ["data"] = new JsonObject { ["bonded"] = true, ["mac"] = Mac(d, n) },
            ["bond"] = new JsonObject { ["id"] = bondId, ["name"] = "bond0" },
            ["virtual_networks"] = new JsonArray(),
        };
        return new JsonArray(Port("bond0", "NetworkBondPort", 0), Port("eth0", "NetworkPort", 0), Port("eth1", "NetworkPort", 1));
    }

    private static string Mac(DeviceRecord d, int n)
    {
        // Locally administered unicast MACs derived from the device id.
        var h = d.Id.Replace("-", "");
        return $"0e:{h[0..2]}:{h[2..4]}:{h[4..6]}:{h[6..8]}:{n:x2}";
    }
}
