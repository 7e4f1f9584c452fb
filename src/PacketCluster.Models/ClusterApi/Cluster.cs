using Newtonsoft.Json;

namespace PacketCluster.Models.ClusterApi;

/// <summary>cluster.k8s.io/v1alpha1 Cluster.</summary>
public sealed class Cluster : ResourceObject
{
    public Cluster() { ApiVersion = ClusterApiVersion; Kind = "Cluster"; }
    public ClusterSpec Spec { get; set; } = new();
    public ClusterStatus? Status { get; set; }

    /// <summary>status.phase: Pending, Provisioning, Provisioned, Deleting, Failed.</summary>
    public string? Phase => Status?.Phase;

    /// <summary>The control plane's endpoint, host:port (the first of status.apiEndpoints).</summary>
    public string? Endpoint => Status?.ApiEndpoints?.FirstOrDefault()?.ToString();

    /// <summary>Where the cluster runs: its metro, else its facility.</summary>
    public string? Location => Spec.ProviderSpec?.Value is { } v ? v.Metro ?? v.Facility : null;

    /// <summary>The Packet project id the cluster's devices are in.</summary>
    public string? Project => Spec.ProviderSpec?.Value?.ProjectID;

    /// <summary>The services CIDR blocks (spec.clusterNetwork.services.cidrBlocks).</summary>
    public string? ServiceCidr => Spec.ClusterNetwork?.Services?.ToString();

    /// <summary>The pods CIDR blocks (spec.clusterNetwork.pods.cidrBlocks).</summary>
    public string? PodCidr => Spec.ClusterNetwork?.Pods?.ToString();
}

public sealed class ClusterSpec
{
    [JsonIgnore] public ClusterNetworkingConfig? ClusterNetwork { get; set; }
    [JsonIgnore] public ClusterProviderSpec? ProviderSpec { get; set; }

    public override string ToString() =>
        string.Join(", ", new[] { ProviderSpec?.ToString(), ClusterNetwork?.ToString() }.Where(p => !string.IsNullOrEmpty(p)));
}

public sealed class ClusterNetworkingConfig
{
    public NetworkRanges? Services { get; set; }
    public NetworkRanges? Pods { get; set; }
    public string? ServiceDomain { get; set; }
    public override string ToString() =>
        string.Join(", ", new[] { Services is null ? null : "services " + Services, Pods is null ? null : "pods " + Pods, ServiceDomain }.Where(p => !string.IsNullOrEmpty(p)));
}

public sealed class NetworkRanges
{
    public List<string>? CidrBlocks { get; set; }
    public override string ToString() => CidrBlocks is null ? string.Empty : string.Join(",", CidrBlocks);
}

public sealed class ClusterProviderSpec
{
    public PacketClusterProviderSpec? Value { get; set; }
    public override string ToString() => Value?.ToString() ?? string.Empty;
}

/// <summary>spec.providerSpec.value of a Cluster (kind PacketClusterProviderSpec).</summary>
public sealed class PacketClusterProviderSpec
{
    public const string DefaultApiVersion = "packetprovider.k8s.io/v1alpha1";
    public PacketClusterProviderSpec() { ApiVersion = DefaultApiVersion; Kind = "PacketClusterProviderSpec"; }

    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public ObjectMeta? Metadata { get; set; }
    public string? ProjectID { get; set; }
    /// <summary>A user-supplied CA (seed S0): base64 of PEM, as the seed's []byte fields were. Blanked once imported.</summary>
    public KeyPair? CaKeyPair { get; set; }
    public string? Facility { get; set; }
    public string? Metro { get; set; }
    public override string ToString() =>
        string.Join(", ", new[] { Metro is null ? null : "metro " + Metro, Facility is null ? null : "facility " + Facility, ProjectID is null ? null : "project " + ProjectID }.Where(p => p is not null));
}

/// <summary>A certificate and its key, each base64 of PEM (or PEM itself).</summary>
public sealed class KeyPair
{
    public string? Cert { get; set; }
    public string? Key { get; set; }

    // Never print key material.
    public override string ToString() => "KeyPair";
}

public sealed class ClusterStatus
{
    [JsonIgnore] public List<ApiEndpoint>? ApiEndpoints { get; set; }
    public string? Phase { get; set; }
    [JsonIgnore] public List<Condition>? Conditions { get; set; }
    public string? ErrorReason { get; set; }
    public string? ErrorMessage { get; set; }

    public override string ToString() =>
        string.Join(", ", new[] { Phase, ApiEndpoints?.FirstOrDefault()?.ToString(), string.IsNullOrEmpty(ErrorReason) ? null : "error " + ErrorReason }.Where(p => !string.IsNullOrEmpty(p)));
}

public sealed class ApiEndpoint
{
    public string? Host { get; set; }
    public int Port { get; set; }
    public override string ToString() => $"{Host}:{Port}";
}
