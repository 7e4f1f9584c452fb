namespace PacketCluster.Engine.Operations;

/// <summary>What New-PacketClusterConfig asks for. Defaults follow the seed's generate-yaml.sh (PRODUCT.md §8).</summary>
public sealed record ClusterConfigRequest
{
    public const string DefaultFacility = "ewr1";
    public const string DefaultServiceCidr = "172.25.0.0/16";
    public const string DefaultPodCidr = "172.26.0.0/16";
    public const string DefaultServiceDomain = "cluster.local";
    public const string DefaultPlan = "c3.small.x86";
    public const string DefaultOperatingSystem = "ubuntu_24_04";

    /// <summary>Cluster name; null gives test1-&lt;5 random [a-z0-9]&gt; as generate-yaml.sh did.</summary>
    public string? Name { get; init; }
    public required string ProjectId { get; init; }
    /// <summary>Packet API key; lands only in provider-components.yaml and addons.yaml Secrets.</summary>
    public required string ApiKey { get; init; }
    public string? Facility { get; init; }
    public string? Metro { get; init; }
    public int ControlPlaneCount { get; init; } = 1;
    public int WorkerCount { get; init; } = 1;
    public string Plan { get; init; } = DefaultPlan;
    public string OperatingSystem { get; init; } = DefaultOperatingSystem;
    /// <summary>Null picks the newest version the machine-config catalogue has for the operating system.</summary>
    public string? KubernetesVersion { get; init; }
    public string ServiceCidr { get; init; } = DefaultServiceCidr;
    public string PodCidr { get; init; } = DefaultPodCidr;
    public string ServiceDomain { get; init; } = DefaultServiceDomain;
    public string BillingCycle { get; init; } = "hourly";
    /// <summary>An authorized_keys line; null generates an Ed25519 key pair next to the files.</summary>
    public string? SshPublicKey { get; init; }
    public string? SshPublicKeyFile { get; init; }

    /// <summary>
    /// The quick form's parameters the user typed (names without '-'); null when the request does not come from cmdlet
    /// parameters. Validation then names the parameter (e.g. "-Plan c9.huge") instead of machines.yaml.
    /// </summary>
    public IReadOnlyCollection<string>? BoundParameters { get; init; }

    // The API key must never reach a log through a record's generated ToString.
    public override string ToString() => $"ClusterConfigRequest {{ Name = {Name}, ProjectId = {ProjectId} }}";
}
