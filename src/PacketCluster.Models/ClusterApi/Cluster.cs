namespace PacketCluster.Models.ClusterApi;

/// <summary>cluster.k8s.io/v1alpha1 Cluster.</summary>
public sealed class Cluster : ResourceObject
{
    public Cluster() { ApiVersion = ClusterApiVersion; Kind = "Cluster"; }
    public ClusterSpec Spec { get; set; } = new();
    public ClusterStatus? Status { get; set; }
}

public sealed class ClusterSpec
{
    public ClusterNetworkingConfig? ClusterNetwork { get; set; }
    public ClusterProviderSpec? ProviderSpec { get; set; }
}

public sealed class ClusterNetworkingConfig
{
    public NetworkRanges? Services { get; set; }
    public NetworkRanges? Pods { get; set; }
    public string? ServiceDomain { get; set; }
}

public sealed class NetworkRanges
{
    public List<string>? CidrBlocks { get; set; }
}

public sealed class ClusterProviderSpec
{
    public PacketClusterProviderSpec? Value { get; set; }
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
    public List<ApiEndpoint>? ApiEndpoints { get; set; }
    public string? Phase { get; set; }
    public List<Condition>? Conditions { get; set; }
    public string? ErrorReason { get; set; }
    public string? ErrorMessage { get; set; }
}

public sealed class ApiEndpoint
{
    public string? Host { get; set; }
    public int Port { get; set; }
    public override string ToString() => $"{Host}:{Port}";
}
