namespace PacketCluster.Models.ClusterApi;

// How the models look in PowerShell (issue 15, "objects people can filter"):
// - every column of a default view is a real property (Role, Phase, Version, … below), so Where-Object, Sort-Object,
//   Group-Object, Export-Csv and ConvertTo-Json see what the table shows. They are get-only: ResourceCodec skips
//   computed properties, so the wire format does not change.
// - nested types say something in ToString() (Format-List shows it instead of the type name).
// - ConvertTo-Json stops at depth 2 and warns when an object goes deeper. The members that would go past depth 2 of
//   a Cluster, Machine or MachineDeployment carry Newtonsoft's [JsonIgnore] (the one ConvertTo-Json honours; the
//   engine serializes with System.Text.Json, which ignores it), and what they hold is summarized as flat properties
//   one level up (Plan, OperatingSystem, Address, Endpoint, …). They stay readable as properties: $m.Spec.ProviderSpec.

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
