namespace PacketCluster.Engine.Bootstrap;

/// <summary>What a machine's userdata makes of it: the first control plane (kubeadm init) or a worker (kubeadm join).</summary>
public enum MachineRole
{
    ControlPlane,
    Worker,
}
