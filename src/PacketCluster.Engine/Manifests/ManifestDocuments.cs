using System.Text;
using k8s;
using k8s.Models;

namespace PacketCluster.Engine.Manifests;

/// <summary>Builds multi-document YAML from typed objects and verbatim documents.</summary>
internal sealed class ManifestDocuments
{
    /// <summary>Label on every object PacketCluster renders, so a user can list them all.</summary>
    public const string PartOfLabel = "app.kubernetes.io/part-of";
    public const string PartOfValue = "packetcluster";
    public const string VersionLabel = "app.kubernetes.io/version";

    private readonly List<string> _documents = new();
    private readonly string _header;

    public ManifestDocuments(string header) => _header = header;

    /// <summary>Loads a multi-document template into typed objects (KubernetesClient's model types).</summary>
    public static List<IKubernetesObject> LoadTemplate(string resourcePath) =>
        KubernetesYaml.LoadAllFromString(ManifestResources.ReadText(resourcePath))
            .Cast<IKubernetesObject>()
            .ToList();

    /// <summary>The single object of type <typeparamref name="T"/> named <paramref name="name"/> in a loaded template.</summary>
    public static T Find<T>(IEnumerable<IKubernetesObject> objects, string name)
        where T : IKubernetesObject<V1ObjectMeta> =>
        objects.OfType<T>().Single(o => o.Metadata.Name == name);

    public void Add(IKubernetesObject<V1ObjectMeta> obj) => _documents.Add(KubernetesYaml.Serialize(obj));

    /// <summary>Adds a document as written (CRDs keep their field order and descriptions).</summary>
    public void AddVerbatim(string yaml) => _documents.Add(yaml);

    public override string ToString()
    {
        var text = new StringBuilder();
        foreach (var line in _header.Split('\n'))
        {
            text.Append("# ").Append(line).Append('\n');
        }

        for (var i = 0; i < _documents.Count; i++)
        {
            if (i > 0)
            {
                text.Append("---\n");
            }

            text.Append(_documents[i].Replace("\r\n", "\n").TrimEnd('\n')).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>Sets a label, creating the label map when the template has none.</summary>
    public static void SetLabel(V1ObjectMeta metadata, string key, string value)
    {
        metadata.Labels ??= new Dictionary<string, string>();
        metadata.Labels[key] = value;
    }
}
