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
    /// <summary>ControlPlane or Worker, from its role tag.</summary>
    public string? Role { get; set; }
    /// <summary>Where the device runs: its metro, else its facility.</summary>
    public string? Location => Metro ?? Facility;
    /// <summary>The machine the device runs (its hostname is the machine's name), for piping to Get-PacketMachine.</summary>
    public string? MachineName => ClusterName is null ? null : Hostname;
    /// <summary>The cluster as the table shows it: its name and the start of its uid, or "(name tag only)" for a device tagged with the name alone.</summary>
    public string? Cluster => ClusterName is null ? null
        : ClusterUid is { Length: > 0 } uid ? $"{ClusterName} ({uid[..Math.Min(8, uid.Length)]})" : $"{ClusterName} (name tag only)";
    public double? ProvisioningPercentage { get; set; }
    public string? BillingCycle { get; set; }
    public DateTimeOffset? CreatedAt { get; set; }
    public override string ToString() => Hostname;
}
