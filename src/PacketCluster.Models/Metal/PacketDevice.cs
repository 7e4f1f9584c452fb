namespace PacketCluster.Models.Metal;

/// <summary>A Packet device (bare-metal server). Userdata is left out: it holds key material.</summary>
public sealed class PacketDevice
{
    public string Id { get; set; } = string.Empty;
    public string? ShortId { get; set; }
    public string Hostname { get; set; } = string.Empty;
    public string State { get; set; } = string.Empty;
    public string? Plan { get; set; }
    public string? OperatingSystem { get; set; }
    public string? Metro { get; set; }
    public string? Facility { get; set; }
    public string? PublicIPv4 { get; set; }
    public string? PrivateIPv4 { get; set; }
    public string? PublicIPv6 { get; set; }
    public string[] IpAddresses { get; set; } = Array.Empty<string>();
    public string[] Tags { get; set; } = Array.Empty<string>();
    /// <summary>The cluster the device belongs to, from its cluster-id tag.</summary>
    public string? ClusterName { get; set; }
    /// <summary>
    /// The unique identity of the cluster that made it (its cluster-uid tag): two clusters of one name are told apart by
    /// it. Null for a device tagged with the name only (made by hand, the 2019 provider or an older version).
    /// </summary>
    public string? ClusterUid { get; set; }
    /// <summary>control-plane or worker, from its role tag.</summary>
    public string? Role { get; set; }
    public double? ProvisioningPercentage { get; set; }
    public string? BillingCycle { get; set; }
    public DateTimeOffset? CreatedAt { get; set; }
    public override string ToString() => Hostname;
}
