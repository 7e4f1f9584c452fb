using System.Text.Json.Nodes;

namespace PacketCluster.Simulator.State;

// The simulator's persisted facts. Everything derived (device state at "now", provisioning progress, rendered
// JSON) is computed from these, so a restart from state.json continues exactly where it left off.

public sealed class ProjectRecord
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public DateTimeOffset CreatedAt { get; set; }
    public string OrganizationId { get; set; } = "";
    public string UserId { get; set; } = "";
    public string UserEmail { get; set; } = "";
}

public sealed class SshKeyRecord
{
    public string Id { get; set; } = "";
    public string Label { get; set; } = "";
    public string Key { get; set; } = "";
    public string Fingerprint { get; set; } = "";
    public List<string> Tags { get; set; } = new();
    /// <summary>"project" or "user": whose key it is (entity href).</summary>
    public string Owner { get; set; } = "project";
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A stage still to come in a device's state table walk. Null duration: the state is stable.</summary>
public sealed record PendingStage(string State, TimeSpan? Duration);

public sealed class DeviceRecord
{
    public string Id { get; set; } = "";
    public string Hostname { get; set; } = "";
    public string? Description { get; set; }
    public List<string> Tags { get; set; } = new();
    public string Userdata { get; set; } = "";
    public JsonObject Customdata { get; set; } = new();
    public bool Locked { get; set; }
    public string BillingCycle { get; set; } = "hourly";
    public bool AlwaysPxe { get; set; }
    public string? IpxeScriptUrl { get; set; }
    public bool NetworkFrozen { get; set; }
    public bool SpotInstance { get; set; }
    public double? SpotPriceMax { get; set; }
    public DateTimeOffset? TerminationTime { get; set; }
    public string Plan { get; set; } = "";
    public string OperatingSystem { get; set; } = "";
    public string Facility { get; set; } = "";
    public string Metro { get; set; } = "";
    public List<string> SshKeyIds { get; set; } = new();
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
    public string RootPassword { get; set; } = "";

    /// <summary>Index into the device address pools (public v4 /31, private v4 /31, v6 /127); never reused.</summary>
    public int AddressIndex { get; set; }
    public string PublicIpv4Id { get; set; } = "";
    public string PrivateIpv4Id { get; set; } = "";
    public string PublicIpv6Id { get; set; } = "";

    // State table position (see Lifecycle/DeviceLifecycle.cs).
    public string State { get; set; } = "queued";
    public DateTimeOffset StateSince { get; set; }
    public TimeSpan? StateDuration { get; set; }
    public List<PendingStage> Pending { get; set; } = new();
    /// <summary>Decided at create time by a provisioning fault rule, or set by the admin endpoint.</summary>
    public bool WillFail { get; set; }
    public DateTimeOffset? ProvisioningStartedAt { get; set; }
    public TimeSpan? ProvisioningDuration { get; set; }
    /// <summary>Provisioning steps already written as events (index into the step table).</summary>
    public int ProvisioningStepsEmitted { get; set; }
}

public sealed class IpReservationRecord
{
    public string Id { get; set; } = "";
    public string Type { get; set; } = "public_ipv4";
    public string Network { get; set; } = "";
    public int Cidr { get; set; }
    public string Metro { get; set; } = "";
    public string? Facility { get; set; }
    public List<string> Tags { get; set; } = new();
    public string? Details { get; set; }
    public JsonObject Customdata { get; set; } = new();
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class IpAssignmentRecord
{
    public string Id { get; set; } = "";
    public string ReservationId { get; set; } = "";
    public string DeviceId { get; set; } = "";
    public string Address { get; set; } = "";
    public int Cidr { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public sealed class EventRecord
{
    public string Id { get; set; } = "";
    public string Type { get; set; } = "";
    public string Body { get; set; } = "";
    public string State { get; set; } = "success";
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>Device the event is about (relationships[]); null for project-level events.</summary>
    public string? DeviceId { get; set; }
}

/// <summary>The whole persisted world; serialised as one JSON document.</summary>
public sealed class WorldRecord
{
    public int Version { get; set; } = 1;
    public ProjectRecord Project { get; set; } = new();
    public List<SshKeyRecord> SshKeys { get; set; } = new();
    public List<DeviceRecord> Devices { get; set; } = new();
    public List<IpReservationRecord> Reservations { get; set; } = new();
    public List<IpAssignmentRecord> Assignments { get; set; } = new();
    public List<EventRecord> Events { get; set; } = new();
    public int NextAddressIndex { get; set; }
    /// <summary>Next free address offset in the elastic pool; blocks are aligned and never reused.</summary>
    public long NextElasticOffset { get; set; }
}
