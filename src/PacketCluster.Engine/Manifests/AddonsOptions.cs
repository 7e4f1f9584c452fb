namespace PacketCluster.Engine.Manifests;

/// <summary>What <see cref="Addons.Render"/> needs. Holds the Packet API key: never logged or printed.</summary>
public sealed class AddonsOptions
{
    /// <summary>The workload cluster; labels the cloud-config Secret. Optional.</summary>
    public string? ClusterName { get; init; }

    /// <summary>Packet project id the cloud controller manager and CSI driver work in.</summary>
    public string? ProjectId { get; init; }

    /// <summary>Packet API key, stored in Secret kube-system/metal-cloud-config and nowhere else.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Metro the cluster runs in. Optional; mutually exclusive with <see cref="Facility"/>. Without either, the CCM reads the node's metadata.</summary>
    public string? Metro { get; init; }

    /// <summary>Facility the cluster runs in (legacy). Optional; mutually exclusive with <see cref="Metro"/>.</summary>
    public string? Facility { get; init; }

    /// <summary>Packet API endpoint (cloud-sa.json base-url), e.g. the simulator. Default: the public API.</summary>
    public string? ApiUrl { get; init; }

    /// <summary>PacketCluster version for the app.kubernetes.io/version label. Default: the engine's version.</summary>
    public string? Version { get; init; }

    // Never print the API key (STYLE.md §3).
    public override string ToString() =>
        $"AddonsOptions(ClusterName={ClusterName}, ProjectId={ProjectId}, ApiKey={(string.IsNullOrEmpty(ApiKey) ? "<none>" : "<redacted>")}, Metro={Metro}, Facility={Facility})";
}
