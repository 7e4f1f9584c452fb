using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// Which control plane is "the first": the one whose userdata runs kubeadm init and that carries the elastic IP.
/// Every other control plane joins it. One rule, shared by the reconciler and the day-2 operations, so they never
/// disagree about who inits.
/// </summary>
public static class FirstControlPlane
{
    /// <summary>The oldest control plane not being deleted (the name breaks a tie); null when there is none.</summary>
    public static Machine? Of(IEnumerable<Machine> machines) =>
        machines.Where(m => m.IsControlPlane && m.Metadata.DeletionTimestamp is null)
            .OrderBy(m => m.Metadata.CreationTimestamp).ThenBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault();
}
