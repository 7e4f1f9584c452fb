namespace PacketCluster.Models.ClusterApi;

/// <summary>Common shape of every Cluster API object: apiVersion, kind and metadata.</summary>
public abstract class ResourceObject
{
    /// <summary>The group/version every Cluster API v1alpha1 kind uses.</summary>
    public const string ClusterApiVersion = "cluster.k8s.io/v1alpha1";

    public string? ApiVersion { get; set; }
    public string? Kind { get; set; }
    public ObjectMeta Metadata { get; set; } = new();

    /// <summary>The object's name, or an empty string.</summary>
    public string Name => Metadata.Name ?? string.Empty;

    public override string ToString() => $"{Kind}/{Metadata.Name}";
}
