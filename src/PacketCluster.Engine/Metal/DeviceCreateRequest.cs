using System.Text.Json.Nodes;

namespace PacketCluster.Engine.Metal;

/// <summary>
/// Body of <c>POST /projects/{id}/devices</c>: spec DeviceCreateInMetroInput when <see cref="Metro"/> is set,
/// DeviceCreateInFacilityInput when <see cref="Facility"/> is. Exactly one of the two (the spec's oneOf would match
/// both). Null members are not sent.
/// </summary>
public sealed record DeviceCreateRequest
{
    public string? Hostname { get; init; }
    public string? Description { get; init; }

    /// <summary>Plan slug, e.g. "c3.small.x86". Required.</summary>
    public required string Plan { get; init; }

    /// <summary>OS slug, e.g. "ubuntu_20_04". Required.</summary>
    public required string OperatingSystem { get; init; }

    /// <summary>Metro code or id, or "any".</summary>
    public string? Metro { get; init; }

    /// <summary>Facility code (deprecated by the API, still accepted), or "any".</summary>
    public string? Facility { get; init; }

    /// <summary>hourly (the default), daily, monthly or yearly.</summary>
    public string? BillingCycle { get; init; } = "hourly";

    public string? Userdata { get; init; }
    public IReadOnlyList<string>? Tags { get; init; }

    /// <summary>Keys sent inline; added to <see cref="ProjectSshKeys"/> and <see cref="UserSshKeys"/>.</summary>
    public IReadOnlyList<DeviceSshKey>? SshKeys { get; init; }

    /// <summary>Project SSH key ids. With no key list at all the API attaches every project and member key.</summary>
    public IReadOnlyList<string>? ProjectSshKeys { get; init; }

    public IReadOnlyList<string>? UserSshKeys { get; init; }
    public bool? NoSshKeys { get; init; }

    /// <summary>A reservation id or "next-available".</summary>
    public string? HardwareReservationId { get; init; }

    public bool? SpotInstance { get; init; }

    /// <summary>USD per hour; sent as a number (the spec), although packngo sent a string.</summary>
    public double? SpotPriceMax { get; init; }

    public bool? Locked { get; init; }
    public bool? AlwaysPxe { get; init; }
    public string? IpxeScriptUrl { get; init; }

    /// <summary>Arbitrary JSON the metadata service returns to the device.</summary>
    public JsonObject? Customdata { get; init; }

    public IReadOnlyList<DeviceIpAddressRequest>? IpAddresses { get; init; }

    /// <summary>Every problem the client can see before sending, all at once.</summary>
    /// <summary>
    /// Largest userdata sent. The Metal API documents no limit; we chose 64 KiB (four times EC2's 16 KiB; a control
    /// plane's userdata with every CA and key is about 20 KiB) and the simulator answers 422 above it, as a real
    /// service with a limit would — refused here first, so a large custom userdata is a clear error, not a lost request.
    /// </summary>
    public const int MaxUserdataBytes = 64 * 1024;

    internal IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (Userdata is not null && System.Text.Encoding.UTF8.GetByteCount(Userdata) is var bytes && bytes > MaxUserdataBytes)
            problems.Add($"the userdata is {bytes / 1024} KiB; at most {MaxUserdataBytes / 1024} KiB is accepted");
        if (string.IsNullOrWhiteSpace(Plan)) problems.Add("a plan is required");
        if (string.IsNullOrWhiteSpace(OperatingSystem)) problems.Add("an operating system is required");
        var hasMetro = !string.IsNullOrWhiteSpace(Metro);
        var hasFacility = !string.IsNullOrWhiteSpace(Facility);
        if (hasMetro == hasFacility) problems.Add("give exactly one of metro or facility");
        if (BillingCycle is not null && BillingCycle is not ("hourly" or "daily" or "monthly" or "yearly"))
            problems.Add($"billing cycle '{BillingCycle}' is not one of hourly, daily, monthly, yearly");
        foreach (var ip in IpAddresses ?? [])
            if (ip.AddressFamily is not (4 or 6)) problems.Add($"IP address family {ip.AddressFamily} is not 4 or 6");
        return problems;
    }

    /// <summary>The wire body, with exactly the spec's snake_case names.</summary>
    internal JsonObject ToJson()
    {
        var body = new JsonObject
        {
            ["plan"] = Plan,
            ["operating_system"] = OperatingSystem,
        };
        if (!string.IsNullOrWhiteSpace(Metro)) body["metro"] = Metro;
        else body["facility"] = Facility;
        Put(body, "hostname", Hostname);
        Put(body, "description", Description);
        Put(body, "billing_cycle", BillingCycle);
        Put(body, "userdata", Userdata);
        if (Tags is not null) body["tags"] = Strings(Tags);
        if (SshKeys is not null)
            body["ssh_keys"] = new JsonArray(SshKeys.Select(k => (JsonNode)new JsonObject { ["label"] = k.Label, ["key"] = k.Key }).ToArray());
        if (ProjectSshKeys is not null) body["project_ssh_keys"] = Strings(ProjectSshKeys);
        if (UserSshKeys is not null) body["user_ssh_keys"] = Strings(UserSshKeys);
        if (NoSshKeys is not null) body["no_ssh_keys"] = NoSshKeys;
        Put(body, "hardware_reservation_id", HardwareReservationId);
        if (SpotInstance is not null) body["spot_instance"] = SpotInstance;
        if (SpotPriceMax is not null) body["spot_price_max"] = SpotPriceMax;
        if (Locked is not null) body["locked"] = Locked;
        if (AlwaysPxe is not null) body["always_pxe"] = AlwaysPxe;
        Put(body, "ipxe_script_url", IpxeScriptUrl);
        if (Customdata is not null) body["customdata"] = Customdata.DeepClone();
        if (IpAddresses is not null)
            body["ip_addresses"] = new JsonArray(IpAddresses.Select(ip =>
            {
                var entry = new JsonObject { ["address_family"] = ip.AddressFamily, ["public"] = ip.Public };
                if (ip.Cidr is not null) entry["cidr"] = ip.Cidr;
                if (ip.IpReservations is not null) entry["ip_reservations"] = Strings(ip.IpReservations);
                return (JsonNode)entry;
            }).ToArray());
        return body;
    }

    internal static void Put(JsonObject body, string name, string? value)
    {
        if (value is not null) body[name] = value;
    }

    internal static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode)JsonValue.Create(v)!).ToArray());
}
