namespace PacketCluster.Engine.Controllers;

/// <summary>Every wait a reconciler asks for, named, with the reason it is that long.</summary>
public static class RequeueIntervals
{
    /// <summary>A device is queued or provisioning: provisioning takes minutes, and the inventory refreshes at this pace anyway.</summary>
    public static readonly TimeSpan DeviceProvisioning = TimeSpan.FromSeconds(15);

    /// <summary>A device is being deleted (deprovisioning takes ~10-30 s on Packet).</summary>
    public static readonly TimeSpan DeviceDeleting = TimeSpan.FromSeconds(10);

    /// <summary>Between drain passes of a Machine being deleted (its pods are evicted and stop within seconds).</summary>
    public static readonly TimeSpan NodeDraining = TimeSpan.FromSeconds(2);

    /// <summary>A machine waits for something of its cluster (endpoint, PKI) that the cluster reconciler produces within one pass.</summary>
    public static readonly TimeSpan WaitForCluster = TimeSpan.FromSeconds(5);

    /// <summary>An active machine's Node is not registered or not Ready yet: booting and joining take tens of seconds.</summary>
    public static readonly TimeSpan WaitForNode = TimeSpan.FromSeconds(10);

    /// <summary>A cluster being deleted waits for its Machines' devices to go first (same pace as the devices).</summary>
    public static readonly TimeSpan WaitForMachinesGone = TimeSpan.FromSeconds(10);

    /// <summary>An elastic IP reservation awaiting approval (over quota): a human is involved, so poll slowly.</summary>
    public static readonly TimeSpan IpReservationPending = TimeSpan.FromMinutes(1);

    /// <summary>A Packet API call failed transiently (5xx, timeout, 429 after the client's own retries).</summary>
    public static readonly TimeSpan ApiError = TimeSpan.FromSeconds(15);

    /// <summary>A write lost an optimistic-concurrency race: reread and try again almost at once.</summary>
    public static readonly TimeSpan StoreConflict = TimeSpan.FromSeconds(1);
}
