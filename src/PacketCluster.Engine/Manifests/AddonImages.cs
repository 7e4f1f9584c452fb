namespace PacketCluster.Engine.Manifests;

/// <summary>
/// The add-on images <see cref="Addons.Render"/> pins. Tags, never "latest": a cluster made today and one made
/// next year get the same add-ons. All of them run on Kubernetes 1.20 (the simulator's version) and later.
/// </summary>
public static class AddonImages
{
    /// <summary>Equinix Metal cloud controller manager; replaces the 2019 provider's packethost/packet-ccm:v0.0.4. Its last release.</summary>
    public const string CloudControllerManager = "quay.io/equinix-oss/cloud-provider-equinix-metal:v3.8.1";

    /// <summary>Packet CSI driver (block storage over iSCSI), driver name net.packet.csi. Its last release.</summary>
    public const string CsiDriver = "docker.io/packethost/csi-packet:v1.1.0";

    /// <summary>CSI sidecars: the releases of early 2021, which support Kubernetes 1.17+ and storage.k8s.io/v1 only.</summary>
    public const string CsiProvisioner = "registry.k8s.io/sig-storage/csi-provisioner:v2.1.0";
    public const string CsiAttacher = "registry.k8s.io/sig-storage/csi-attacher:v3.1.0";
    public const string CsiNodeDriverRegistrar = "registry.k8s.io/sig-storage/csi-node-driver-registrar:v2.1.0";
}
