namespace PacketCluster.Models.Metal;

/// <summary>What creating a cluster would do (New-PacketCluster -WhatIf): devices with prices, IP reservations, objects.</summary>
public sealed class PacketClusterPlan
{
    public string ClusterName { get; set; } = string.Empty;
    public string ProjectId { get; set; } = string.Empty;
    public PlannedDevice[] Devices { get; set; } = Array.Empty<PlannedDevice>();
    public string[] IpReservations { get; set; } = Array.Empty<string>();
    public string[] Objects { get; set; } = Array.Empty<string>();
    /// <summary>Sum of the devices' hourly prices in their locations, USD.</summary>
    public decimal TotalPricePerHour { get; set; }
    public override string ToString() => $"{ClusterName}: {Devices.Length} devices, {TotalPricePerHour:0.00} USD/hour";
}

/// <summary>One device a cluster would create.</summary>
public sealed class PlannedDevice
{
    public string Hostname { get; set; } = string.Empty;
    public string Role { get; set; } = string.Empty;
    public string Plan { get; set; } = string.Empty;
    public string OperatingSystem { get; set; } = string.Empty;
    public string Location { get; set; } = string.Empty;
    public decimal? PricePerHour { get; set; }
    public override string ToString() => Hostname;
}
