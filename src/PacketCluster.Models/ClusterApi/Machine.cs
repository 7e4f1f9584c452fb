using Newtonsoft.Json;

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

    /// <summary>ControlPlane or Worker (the one spelling of roles in PacketCluster).</summary>
    public string Role => MachineRoles.Of(IsControlPlane);

    /// <summary>status.phase: Pending, Provisioning, Provisioned, Running, Deleting, Failed.</summary>
    public string? Phase => Status?.Phase;

    /// <summary>The Kubernetes version the machine asks for (spec.versions.kubelet).</summary>
    public string? Version => Spec.Versions?.Kubelet;

    /// <summary>spec.providerID: packet://&lt;device id&gt; once the device exists.</summary>
    public string? ProviderID => Spec.ProviderID;

    /// <summary>The machine's public IPv4 address (its first ExternalIP).</summary>
    public string? Address => Status?.Addresses?.FirstOrDefault(a => a.Type == "ExternalIP")?.Address;

    /// <summary>Control planes of a highly available cluster: "healthy", or why the etcd member is not (EtcdMemberHealthy condition).</summary>
    public string? Etcd => Status?.Conditions?.FirstOrDefault(c => c.Type == "EtcdMemberHealthy") is { } c
        ? c.Status == "True" ? "healthy" : c.Reason
        : null;

    /// <summary>Control planes: whether this one holds the cluster's elastic IP (EndpointAssigned condition); null for workers.</summary>
    public bool? EIP => IsControlPlane ? Status?.Conditions?.Any(c => c.Type == "EndpointAssigned" && c.Status == "True") ?? false : null;

    /// <summary>
    /// What its MachineHealthCheck last said (the HealthCheckSucceeded condition): healthy, starting (no Node yet, within the
    /// node startup timeout), or why not (UnhealthyNode, NodeNotFound, NodeStartupTimeout, ConfigurationFailure, Remediating);
    /// null when no health check covers it.
    /// </summary>
    public string? Health => Status?.Conditions?.FirstOrDefault(c => c.Type == "HealthCheckSucceeded") is { } c
        ? c.Status == "True" ? c.Reason == "Starting" ? "starting" : "healthy" : c.Reason
        : null;

    /// <summary>What a machine that is not Running waits on: its error reason, or the reason of its last false condition.</summary>
    public string? Waiting => Status?.ErrorReason is { Length: > 0 } error ? error
        : Status?.Phase == "Running" ? null
        : Status?.Conditions?.LastOrDefault(c => c.Status == "False")?.Reason;

    /// <summary>The device plan (spec.providerSpec.value.machineType).</summary>
    public string? Plan => Spec.ProviderSpec?.Value?.MachineType;

    /// <summary>The operating system slug (spec.providerSpec.value.OS).</summary>
    public string? OperatingSystem => Spec.ProviderSpec?.Value?.OS;

    /// <summary>Where the device runs: its metro, else its facility.</summary>
    public string? Location => Status?.ProviderStatus?.Metro ?? Spec.ProviderSpec?.Value?.Metro
        ?? Status?.ProviderStatus?.Facility ?? Spec.ProviderSpec?.Value?.Facility?.FirstOrDefault();

    /// <summary>The Packet device id (status.providerStatus.deviceID).</summary>
    public string? DeviceId => Status?.ProviderStatus?.DeviceID;

    /// <summary>The device's state as last seen (queued, provisioning, active, …).</summary>
    public string? DeviceState => Status?.ProviderStatus?.State;

    /// <summary>The node that runs on the machine (status.nodeRef.name).</summary>
    public string? NodeName => Status?.NodeRef?.Name;

    /// <summary>The MachineSet or MachineDeployment the machine belongs to, as Kind/Name; null for a machine of its own.</summary>
    public string? Owner => Metadata.Owner;
}

/// <summary>The PowerShell-facing spelling of machine roles: ControlPlane and Worker, in output, parameters and completion.</summary>
public static class MachineRoles
{
    public const string ControlPlane = "ControlPlane";
    public const string Worker = "Worker";

    public static string Of(bool controlPlane) => controlPlane ? ControlPlane : Worker;
}

public sealed class MachineSpec
{
    [JsonIgnore] public ObjectMeta? Metadata { get; set; }
    [JsonIgnore] public List<Taint>? Taints { get; set; }
    [JsonIgnore] public MachineProviderSpec? ProviderSpec { get; set; }
    public MachineVersionInfo? Versions { get; set; }
    public string? ProviderID { get; set; }

    public override string ToString()
    {
        var value = ProviderSpec?.Value;
        var parts = new List<string?> { value?.MachineType, value?.OS, value?.Metro ?? value?.Facility?.FirstOrDefault() };
        if (Versions?.Kubelet is { } kubelet) parts.Add("kubelet " + kubelet);
        if (Versions?.ControlPlane is { } controlPlane) parts.Add("control plane " + controlPlane);
        if (Taints is { Count: > 0 }) parts.Add("taints " + string.Join(",", Taints));
        return string.Join(", ", parts.Where(p => !string.IsNullOrEmpty(p)));
    }
}

public sealed class Taint
{
    public string? Key { get; set; }
    public string? Value { get; set; }
    public string? Effect { get; set; }
    public override string ToString() => $"{Key}{(string.IsNullOrEmpty(Value) ? "" : "=" + Value)}:{Effect}";
}

public sealed class MachineVersionInfo
{
    public string? Kubelet { get; set; }
    public string? ControlPlane { get; set; }
    public override string ToString() => ControlPlane is null ? $"kubelet {Kubelet}" : $"kubelet {Kubelet}, control plane {ControlPlane}";
}

public sealed class MachineProviderSpec
{
    public PacketMachineProviderSpec? Value { get; set; }
    public override string ToString() => Value?.ToString() ?? string.Empty;
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

    public override string ToString() =>
        string.Join(", ", new[] { MachineType, OS, Metro ?? Facility?.FirstOrDefault(), SpotInstance == true ? "spot" : null }.Where(p => !string.IsNullOrEmpty(p)));
}

public sealed class MachineStatus
{
    public ObjectReference? NodeRef { get; set; }
    public DateTimeOffset? LastUpdated { get; set; }
    public MachineVersionInfo? Versions { get; set; }
    public string? ErrorReason { get; set; }
    public string? ErrorMessage { get; set; }
    public PacketMachineProviderStatus? ProviderStatus { get; set; }
    [JsonIgnore] public List<MachineAddress>? Addresses { get; set; }
    public string? Phase { get; set; }
    [JsonIgnore] public List<Condition>? Conditions { get; set; }

    public override string ToString()
    {
        var parts = new List<string?> { Phase, ProviderStatus?.ToString(), Addresses?.FirstOrDefault(a => a.Type == "ExternalIP")?.Address };
        if (NodeRef?.Name is { } node) parts.Add("node " + node);
        if (!string.IsNullOrEmpty(ErrorReason)) parts.Add("error " + ErrorReason);
        return string.Join(", ", parts.Where(p => !string.IsNullOrEmpty(p)));
    }
}

/// <summary>What the engine observed of the machine's Packet device.</summary>
public sealed class PacketMachineProviderStatus
{
    public string? DeviceID { get; set; }
    public string? State { get; set; }
    public string? Facility { get; set; }
    public string? Metro { get; set; }
    [JsonIgnore] public List<string>? IpAddresses { get; set; }
    public override string ToString() => DeviceID is null ? string.Empty : $"device {DeviceID} {State}".TrimEnd();
}

public sealed class MachineAddress
{
    public string? Type { get; set; }
    public string? Address { get; set; }
    public override string ToString() => $"{Type} {Address}";
}

/// <summary>cluster.k8s.io/v1alpha1 MachineList, as the seed's machines.yaml holds.</summary>
public sealed class MachineList
{
    public string? ApiVersion { get; set; } = ResourceObject.ClusterApiVersion;
    public string? Kind { get; set; } = "MachineList";
    public List<Machine> Items { get; set; } = new();
}
