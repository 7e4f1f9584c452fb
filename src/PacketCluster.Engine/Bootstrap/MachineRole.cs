namespace PacketCluster.Engine.Bootstrap;

/// <summary>
/// What a machine's userdata makes of it: the first control plane (kubeadm init), a worker (kubeadm join), or a
/// further control plane that joins the running cluster (kubeadm join with a controlPlane section).
/// </summary>
public enum MachineRole
{
    ControlPlane,
    Worker,

    /// <summary>
    /// A control plane added to a cluster whose first control plane already ran kubeadm init: it brings the
    /// cluster's shared CAs and service-account keys (kubeadm must not mint new ones) and joins with a pinned CA.
    /// </summary>
    JoiningControlPlane,
}

/// <summary>What each role needs, in one place, so the renderer, the kubeadm config and the validation agree.</summary>
internal static class MachineRoles
{
    /// <summary>Runs a control plane: the control-plane catalogue entry, and the cluster's CAs and service-account keys on disk.</summary>
    public static bool IsControlPlane(this MachineRole role) => role is MachineRole.ControlPlane or MachineRole.JoiningControlPlane;

    /// <summary>Joins a running cluster with its own bootstrap token and the pinned cluster CA.</summary>
    public static bool Joins(this MachineRole role) => role is MachineRole.Worker or MachineRole.JoiningControlPlane;
}
