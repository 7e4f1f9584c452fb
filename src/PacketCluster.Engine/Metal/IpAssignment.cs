namespace PacketCluster.Engine.Metal;

/// <summary>An address on a device (a device's <c>ip_addresses[]</c>, or the answer of <c>POST /devices/{id}/ips</c>). Unassign with its <see cref="PacketIpAddress.Id"/>.</summary>
public sealed record IpAssignment : PacketIpAddress
{
    public ResourceLink? AssignedTo { get; init; }
    public IpParentBlock? ParentBlock { get; init; }
    public string? State { get; init; }
}
