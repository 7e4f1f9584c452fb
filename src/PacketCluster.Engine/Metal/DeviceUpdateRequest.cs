using System.Text.Json.Nodes;

namespace PacketCluster.Engine.Metal;

/// <summary>Body of <c>PUT /devices/{id}</c> (spec DeviceUpdateInput). Only non-null members are sent; an empty <see cref="Tags"/> clears the tags.</summary>
public sealed record DeviceUpdateRequest
{
    public string? Hostname { get; init; }
    public string? Description { get; init; }
    public string? Userdata { get; init; }
    public bool? Locked { get; init; }
    public IReadOnlyList<string>? Tags { get; init; }
    public bool? AlwaysPxe { get; init; }
    public string? IpxeScriptUrl { get; init; }
    public JsonObject? Customdata { get; init; }
    public string? BillingCycle { get; init; }
    public bool? NetworkFrozen { get; init; }

    /// <summary>false converts a spot device to on-demand.</summary>
    public bool? SpotInstance { get; init; }

    internal JsonObject ToJson()
    {
        var body = new JsonObject();
        DeviceCreateRequest.Put(body, "hostname", Hostname);
        DeviceCreateRequest.Put(body, "description", Description);
        DeviceCreateRequest.Put(body, "userdata", Userdata);
        if (Locked is not null) body["locked"] = Locked;
        if (Tags is not null) body["tags"] = DeviceCreateRequest.Strings(Tags);
        if (AlwaysPxe is not null) body["always_pxe"] = AlwaysPxe;
        DeviceCreateRequest.Put(body, "ipxe_script_url", IpxeScriptUrl);
        if (Customdata is not null) body["customdata"] = Customdata.DeepClone();
        DeviceCreateRequest.Put(body, "billing_cycle", BillingCycle);
        if (NetworkFrozen is not null) body["network_frozen"] = NetworkFrozen;
        if (SpotInstance is not null) body["spot_instance"] = SpotInstance;
        return body;
    }
}
