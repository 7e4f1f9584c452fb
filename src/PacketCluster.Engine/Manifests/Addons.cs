using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;

namespace PacketCluster.Engine.Manifests;

/// <summary>
/// Renders addons.yaml for a workload cluster: the Equinix Metal cloud controller manager (CPEM) and the
/// Packet CSI driver, both reading one credentials Secret, <c>kube-system/metal-cloud-config</c>.
/// </summary>
/// <remarks>
/// The 2019 provider's addons.yaml copied the API key into a second Secret,
/// kube-system/cluster-api-provider-packet-credentials, for packet-ccm's environment. CPEM and csi-packet read
/// cloud-sa.json instead, so that copy is not rendered: one fewer place the key lives (seed defect 13).
/// </remarks>
public static class Addons
{
    public const string Namespace = "kube-system";
    public const string CloudConfigSecretName = "metal-cloud-config";
    public const string CloudConfigKey = "cloud-sa.json";

    private const string TemplatePath = "manifests/addons.yaml";

    /// <summary>Renders addons.yaml. Throws <see cref="PacketClusterException"/> (ManifestOptionsInvalid) listing every bad option.</summary>
    public static string Render(AddonsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);

        var version = options.Version ?? ManifestOptionProblems.EngineVersion();
        var objects = ManifestDocuments.LoadTemplate(TemplatePath);

        var ccm = ManifestDocuments.Find<V1Deployment>(objects, "cloud-provider-equinix-metal");
        SetImage(ccm.Spec.Template.Spec, "cloud-provider-equinix-metal", AddonImages.CloudControllerManager);

        var controller = ManifestDocuments.Find<V1StatefulSet>(objects, "csi-packet-controller");
        SetImage(controller.Spec.Template.Spec, "csi-provisioner", AddonImages.CsiProvisioner);
        SetImage(controller.Spec.Template.Spec, "csi-attacher", AddonImages.CsiAttacher);
        SetImage(controller.Spec.Template.Spec, "csi-packet-driver", AddonImages.CsiDriver);

        var node = ManifestDocuments.Find<V1DaemonSet>(objects, "csi-packet-node");
        SetImage(node.Spec.Template.Spec, "csi-node-driver-registrar", AddonImages.CsiNodeDriverRegistrar);
        SetImage(node.Spec.Template.Spec, "csi-packet-driver", AddonImages.CsiDriver);

        var secret = new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta { Name = CloudConfigSecretName, NamespaceProperty = Namespace },
            Type = "Opaque",
            StringData = new Dictionary<string, string> { [CloudConfigKey] = CloudConfigJson(options) },
        };
        if (options.ClusterName is not null)
        {
            ManifestDocuments.SetLabel(secret.Metadata, ProviderComponents.ClusterNameLabel, options.ClusterName);
        }

        // The Secret goes first: the pods that mount it can then start as soon as they are created.
        objects.Insert(0, secret);
        foreach (var obj in objects.Cast<IKubernetesObject<V1ObjectMeta>>())
        {
            ManifestDocuments.SetLabel(obj.Metadata, ManifestDocuments.PartOfLabel, ManifestDocuments.PartOfValue);
            ManifestDocuments.SetLabel(obj.Metadata, ManifestDocuments.VersionLabel, version);
        }

        var documents = new ManifestDocuments(
            $"PacketCluster {version} add-ons: Equinix Metal cloud controller manager and Packet CSI driver.\n" +
            $"Holds the Packet API key (Secret {Namespace}/{CloudConfigSecretName}): keep this file private.");
        foreach (var obj in objects.Cast<IKubernetesObject<V1ObjectMeta>>())
        {
            documents.Add(obj);
        }

        return documents.ToString();
    }

    /// <summary>
    /// cloud-sa.json as both readers expect it: CPEM reads apiKey, projectID, metro, facility and base-url;
    /// csi-packet reads apiKey, projectID (Go matches keys case-insensitively), facility-id and base-url.
    /// </summary>
    private static string CloudConfigJson(AddonsOptions options)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("apiKey", options.ApiKey);
            json.WriteString("projectID", options.ProjectId);
            if (options.Metro is not null)
            {
                json.WriteString("metro", options.Metro);
            }

            if (options.Facility is not null)
            {
                json.WriteString("facility", options.Facility);
                json.WriteString("facility-id", options.Facility);
            }

            if (options.ApiUrl is not null)
            {
                json.WriteString("base-url", options.ApiUrl);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()).Replace("\r\n", "\n") + "\n";
    }

    private static void SetImage(V1PodSpec pod, string container, string image) =>
        pod.Containers.Single(c => c.Name == container).Image = image;

    private static void Validate(AddonsOptions options)
    {
        var problems = new ManifestOptionProblems(nameof(AddonsOptions));
        problems.OptionalDnsLabel(nameof(options.ClusterName), options.ClusterName);
        problems.RequireText(nameof(options.ProjectId), options.ProjectId);
        problems.RequireText(nameof(options.ApiKey), options.ApiKey);
        problems.OptionalToken(nameof(options.Metro), options.Metro);
        problems.OptionalToken(nameof(options.Facility), options.Facility);
        problems.OptionalHttpUrl(nameof(options.ApiUrl), options.ApiUrl);
        problems.OptionalImageTag(nameof(options.Version), options.Version);
        if (options.Metro is not null && options.Facility is not null)
        {
            problems.Add("Give Metro or Facility, not both: the cloud controller manager works in one location.");
        }

        problems.ThrowIfAny(options);
    }
}
