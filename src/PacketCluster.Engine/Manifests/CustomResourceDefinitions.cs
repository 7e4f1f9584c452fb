using k8s;
using k8s.Models;

namespace PacketCluster.Engine.Manifests;

/// <summary>
/// The CustomResourceDefinitions of the Cluster API v1alpha1 kinds PacketCluster stores in Kubernetes
/// (group <c>cluster.k8s.io</c>): Cluster, Machine, MachineSet, MachineDeployment and MachineHealthCheck. They are embedded YAML
/// (Resources/manifests/crds/), with structural schemas that follow PacketCluster.Models.
/// </summary>
public static class CustomResourceDefinitions
{
    public const string Group = "cluster.k8s.io";
    public const string Version = "v1alpha1";

    /// <summary>The resource plurals, in the order the CRDs are rendered.</summary>
    public static IReadOnlyList<string> Plurals { get; } = new[] { "clusters", "machines", "machinesets", "machinedeployments", "machinehealthchecks" };

    private static readonly Lazy<IReadOnlyList<string>> Documents = new(() =>
        Plurals.Select(p => StripLeadingComments(ManifestResources.ReadText($"manifests/crds/{p}.yaml"))).ToArray());

    /// <summary>The full name of the CRD for <paramref name="plural"/>, e.g. <c>machines.cluster.k8s.io</c>.</summary>
    public static string NameOf(string plural) => $"{plural}.{Group}";

    /// <summary>The CRDs as YAML documents, one string each.</summary>
    public static IReadOnlyList<string> All() => Documents.Value;

    /// <summary>The CRDs as KubernetesClient objects; each call returns new objects the caller may change.</summary>
    public static IReadOnlyList<V1CustomResourceDefinition> AllTyped() =>
        All().Select(yaml => KubernetesYaml.Deserialize<V1CustomResourceDefinition>(yaml)).ToArray();

    /// <summary>The CRDs as one multi-document YAML file.</summary>
    public static string Render()
    {
        var documents = new ManifestDocuments("Cluster API v1alpha1 CustomResourceDefinitions for PacketCluster.");
        foreach (var crd in All())
        {
            documents.AddVerbatim(crd);
        }

        return documents.ToString();
    }

    // The files open with maintainer notes; users reading a rendered file don't need them.
    private static string StripLeadingComments(string yaml)
    {
        var lines = yaml.Replace("\r\n", "\n").Split('\n');
        return string.Join('\n', lines.SkipWhile(l => l.StartsWith('#') || l.Length == 0));
    }
}
