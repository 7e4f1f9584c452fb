namespace PacketCluster.Engine.Metal;

/// <summary>One <c>ip_addresses[]</c> entry at device creation (spec IPAddress). A private IPv4 entry is required by the API.</summary>
public sealed record DeviceIpAddressRequest
{
    /// <summary>4 or 6.</summary>
    public int AddressFamily { get; init; } = 4;

    public bool Public { get; init; } = true;

    /// <summary>28–32 for IPv4, 124–127 for IPv6; null lets the API pick.</summary>
    public int? Cidr { get; init; }

    /// <summary>Reservation ids to carve the address from.</summary>
    public IReadOnlyList<string>? IpReservations { get; init; }
}
