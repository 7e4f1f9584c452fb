using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// What the replica reconcilers count as ready and available, from the phase the Machine reconciler computes.
/// Ready = phase Running or Provisioned: Provisioned means the device is active and booted with its userdata, which
/// is as far as v1alpha1 Machines can be observed without a node reference; Running adds the node. Available = ready
/// for at least minReadySeconds, measured from status.lastUpdated (the Machine reconciler stamps it when the phase changes).
/// </summary>
public static class MachineReadiness
{
    public static bool IsReady(Machine machine) =>
        !ReplicaOwnership.IsDeleting(machine) && machine.Status?.Phase is Phases.Running or Phases.Provisioned;

    public static bool IsFailed(Machine machine) =>
        machine.Status?.Phase == Phases.Failed || !string.IsNullOrEmpty(machine.Status?.ErrorReason);

    /// <summary>No device yet, or still coming up: the cheapest machine to lose when scaling down.</summary>
    public static bool IsNotYetProvisioned(Machine machine) =>
        machine.Status?.Phase is null or "" or Phases.Pending or Phases.Provisioning;

    public static bool IsAvailable(Machine machine, int minReadySeconds, DateTimeOffset now) =>
        IsReady(machine) && RemainingUntilAvailable(machine, minReadySeconds, now) <= TimeSpan.Zero;

    /// <summary>How long a ready machine must still stay ready before it counts as available (zero when it does).</summary>
    public static TimeSpan RemainingUntilAvailable(Machine machine, int minReadySeconds, DateTimeOffset now)
    {
        if (minReadySeconds <= 0) return TimeSpan.Zero;
        // Without a timestamp we cannot tell how long it has been ready; count from creation instead of never.
        var since = machine.Status?.LastUpdated ?? machine.Metadata.CreationTimestamp ?? now;
        var remaining = since + TimeSpan.FromSeconds(minReadySeconds) - now;
        return remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
    }
}
