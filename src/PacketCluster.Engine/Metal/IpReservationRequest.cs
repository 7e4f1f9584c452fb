using System.Text.Json.Nodes;

namespace PacketCluster.Engine.Metal;

/// <summary>
/// Body of <c>POST /projects/{id}/ips</c> (spec IPReservationRequestInput). The defaults are CAPP's elastic IP: one public
/// IPv4, failing with 422 rather than queueing for approval when over quota.
/// </summary>
public sealed record IpReservationRequest
{
    /// <summary>public_ipv4, global_ipv4, private_ipv4 or public_ipv6.</summary>
    public string Type { get; init; } = "public_ipv4";

    public int Quantity { get; init; } = 1;
    public string? Metro { get; init; }
    public string? Facility { get; init; }
    public IReadOnlyList<string>? Tags { get; init; }
    public string? Details { get; init; }
    public string? Comments { get; init; }
    public bool? FailOnApprovalRequired { get; init; } = true;

    internal JsonObject ToJson()
    {
        var body = new JsonObject { ["type"] = Type, ["quantity"] = Quantity };
        DeviceCreateRequest.Put(body, "metro", Metro);
        DeviceCreateRequest.Put(body, "facility", Facility);
        if (Tags is not null) body["tags"] = DeviceCreateRequest.Strings(Tags);
        DeviceCreateRequest.Put(body, "details", Details);
        DeviceCreateRequest.Put(body, "comments", Comments);
        if (FailOnApprovalRequired is not null) body["fail_on_approval_required"] = FailOnApprovalRequired;
        return body;
    }
}
