namespace PacketCluster.Models.ClusterApi;

/// <summary>cluster.k8s.io/v1alpha1 Machine. Control plane iff spec.versions.controlPlane is set (seed rule).</summary>
public sealed class Machine : ResourceObject
{
    public Machine() { ApiVersion = ClusterApiVersion; Kind = "Machine"; }
    public MachineSpec Spec { get; set; } = new();
    public MachineStatus? Status { get; set; }

    /// <summary>True when spec.versions.controlPlane is set.</summary>
    public bool IsControlPlane => !string.IsNullOrEmpty(Spec.Versions?.ControlPlane);

    /// <summary>The cluster the machine belongs to (its cluster.k8s.io/cluster-name label), so machines pipe by property name.</summary>
    public string? ClusterName => Metadata.Labels is { } labels && labels.TryGetValue("cluster.k8s.io/cluster-name", out var name) ? name : null;
}

public sealed class MachineSpec
{
    public ObjectMeta? Metadata { get; set; }
    public List<Taint>? Taints { get; set; }
    public MachineProviderSpec? ProviderSpec { get; set; }
    public MachineVersionInfo? Versions { get; set; }
    public string? ProviderID { get; set; }
}

public sealed class Taint
{
    public string? Key { get; set; }
    public string? Value { get; set; }
    public string? Effect { get; set; }
}

public sealed class MachineVersionInfo
{
    public string? Kubelet { get; set; }
    public string? ControlPlane { get; set; }
}

public sealed class MachineProviderSpec
{
    public PacketMachineProviderSpec? Value { get; set; }
}

/// <summary>spec.providerSpec.value of a Machine (kind PacketMachineProviderSpec).</summary>
public sealed class PacketMachineProviderSpec
{
    public PacketMachineProviderSpec() { ApiVersion = PacketClusterProviderSpec.DefaultApiVersion; Kind = "PacketMachineProviderSpec"; }

    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public ObjectMeta? Metadata { get; set; }
    public List<string>? Roles { get; set; }
    /// <summary>Operating system slug (the seed spelled the key `OS:`), e.g. ubuntu_24_04.</summary>
    public string? OS { get; set; }
    public List<string>? Facility { get; set; }
    public string? Metro { get; set; }
    public string? MachineType { get; set; }
    public string? BillingCycle { get; set; }
    public string? ProjectID { get; set; }
    public List<string>? SshKeys { get; set; }
    public List<string>? Tags { get; set; }
    public string? HardwareReservationID { get; set; }
    public bool? SpotInstance { get; set; }
    public double? SpotPriceMax { get; set; }
}

public sealed class MachineStatus
{
    public ObjectReference? NodeRef { get; set; }
    public DateTimeOffset? LastUpdated { get; set; }
    public MachineVersionInfo? Versions { get; set; }
    public string? ErrorReason { get; set; }
    public string? ErrorMessage { get; set; }
    public PacketMachineProviderStatus? ProviderStatus { get; set; }
    public List<MachineAddress>? Addresses { get; set; }
    public string? Phase { get; set; }
    public List<Condition>? Conditions { get; set; }
}

/// <summary>What the engine observed of the machine's Packet device.</summary>
public sealed class PacketMachineProviderStatus
{
    public string? DeviceID { get; set; }
    public string? State { get; set; }
    public string? Facility { get; set; }
    public string? Metro { get; set; }
    public List<string>? IpAddresses { get; set; }
}

public sealed class MachineAddress
{
    public string? Type { get; set; }
    public string? Address { get; set; }
}

/// <summary>cluster.k8s.io/v1alpha1 MachineList, as the seed's machines.yaml holds.</summary>
public sealed class MachineList
{
    public string? ApiVersion { get; set; } = ResourceObject.ClusterApiVersion;
    public string? Kind { get; set; } = "MachineList";
    public List<Machine> Items { get; set; } = new();
}
