using PacketCluster.Engine.Metal;

namespace PacketCluster.Engine.ControlPlane;

/// <summary>
/// Where else a cluster's API server answers, learned from the Packet API alone: the reservation of the endpoint's
/// elastic IP carries the cluster's uid, and the devices with that uid and the control-plane role tag are its control
/// planes. A manager that starts (or restarts) while the elastic IP's holder is dead cannot read the Machines — they
/// are behind that endpoint — so this is how it finds a control plane to talk to, take the Lease and move the address.
/// </summary>
public static class ControlPlaneDiscovery
{
    /// <summary>Records the control planes behind <paramref name="server"/> in the address book; returns how many.</summary>
    public static async Task<int> SeedAsync(PacketClient packet, string projectId, Uri server, CancellationToken cancellationToken)
    {
        var host = server.Host.Trim('[', ']');
        var reservations = await packet.ListIpReservationsAsync(projectId, cancellationToken: cancellationToken).ConfigureAwait(false);
        var uid = reservations.Where(r => r.Address == host).Select(r => DeviceTags.ClusterUidOf(r.Tags)).FirstOrDefault(u => u is not null);
        if (uid is null) return 0;
        var devices = await packet.FindDevicesByTagAsync(projectId, DeviceTags.ClusterUid(uid), cancellationToken).ConfigureAwait(false);
        var hosts = devices.Where(d => d.State == "active" && DeviceTags.RoleOf(d.Tags) == Models.ClusterApi.MachineRoles.ControlPlane)
            .Select(d => d.ManagementAddress(4, isPublic: true)).OfType<string>().ToList();
        ControlPlaneAddressBook.Record(host, server.Port, hosts);
        return hosts.Count;
    }
}
