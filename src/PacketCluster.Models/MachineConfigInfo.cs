namespace PacketCluster.Models;

/// <summary>One entry of the machine-config catalogue: an image and Kubernetes versions a userdata template serves.</summary>
public sealed class MachineConfigInfo
{
    public string Image { get; set; } = string.Empty;
    public string Kubelet { get; set; } = string.Empty;
    /// <summary>Set for the control-plane entry; empty for a worker entry.</summary>
    public string? ControlPlane { get; set; }
    public string? ContainerRuntime { get; set; }
    /// <summary>ControlPlane or Worker.</summary>
    public string Role => ClusterApi.MachineRoles.Of(!string.IsNullOrEmpty(ControlPlane));
    /// <summary>The userdata format: cloud-config or shell script.</summary>
    public string Format { get; set; } = string.Empty;
    public override string ToString() => $"{Image}/{Kubelet}/{Role}";
}
