using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// Which Machines a MachineSet gives up first when it scales down. Machines that are already lost come first
/// (being deleted, Failed, or marked with <see cref="DeleteMachineAnnotation"/>), then machines that have no working
/// device yet (nothing to drain, least money spent), then the rest in the order of spec.deletePolicy:
/// Random (the v1alpha1 default), Newest or Oldest. Ties break on the name so the order is stable.
/// </summary>
public static class MachineDeletionOrder
{
    public const string Random = "Random";
    public const string Newest = "Newest";
    public const string Oldest = "Oldest";

    /// <summary>A user (or an autoscaler) marks the machine it wants gone on the next scale-down (Cluster API's annotation).</summary>
    public const string DeleteMachineAnnotation = "cluster.k8s.io/delete-machine";

    public static bool IsKnownPolicy(string? policy) =>
        string.IsNullOrEmpty(policy) || policy is Random or Newest or Oldest;

    /// <summary>Orders <paramref name="machines"/> from "delete first" to "delete last".</summary>
    public static IReadOnlyList<Machine> Prioritize(IEnumerable<Machine> machines, string? deletePolicy, System.Random random)
    {
        var keyed = machines.Select(m => (Machine: m, Tier: Tier(m), Dice: random.Next())).ToList();
        IOrderedEnumerable<(Machine Machine, int Tier, int Dice)> ordered = keyed.OrderBy(k => k.Tier);
        ordered = deletePolicy switch
        {
            Newest => ordered.ThenByDescending(k => k.Machine.Metadata.CreationTimestamp ?? DateTimeOffset.MinValue),
            Oldest => ordered.ThenBy(k => k.Machine.Metadata.CreationTimestamp ?? DateTimeOffset.MaxValue),
            _ => ordered.ThenBy(k => k.Dice),
        };
        return ordered.ThenBy(k => k.Machine.Name, StringComparer.Ordinal).Select(k => k.Machine).ToList();
    }

    private static int Tier(Machine machine)
    {
        if (ReplicaOwnership.IsDeleting(machine) || MachineReadiness.IsFailed(machine) || machine.Status?.Phase == Phases.Deleting) return 0;
        if (machine.Metadata.Annotations?.ContainsKey(DeleteMachineAnnotation) == true) return 0;
        if (MachineReadiness.IsNotYetProvisioned(machine)) return 1;
        if (!MachineReadiness.IsReady(machine)) return 2;
        return 3;
    }
}
