using k8s;
using k8s.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PacketCluster.Engine.Manifests;

/// <summary>
/// Renders provider-components.yaml: everything a cluster needs to run the PacketCluster manager against its
/// own Cluster API objects (namespace, CRDs, RBAC, credentials, machine configs, manager Deployment).
/// Names keep the 2019 provider's (seed-provider.md §8.1) so its files and clusters stay recognisable.
/// </summary>
public static class ProviderComponents
{
    public const string Namespace = "cluster-api-provider-packet-system";
    public const string ServiceAccountName = "cluster-api-provider-packet-manager";
    public const string CredentialsSecretName = "cluster-api-provider-packet-credentials";
    public const string MachineConfigsConfigMapName = "cluster-api-provider-packet-machine-configs";
    public const string MachineConfigsKey = "machine_configs.yaml";
    public const string DeploymentName = "cluster-api-provider-packet-controller-manager";

    /// <summary>The manager image repository. The image is built from the repository's Dockerfile (a later issue).</summary>
    public const string ManagerImageRepository = "ghcr.io/packetcluster/manager";

    /// <summary>Label naming the cluster the credentials and machine configs were rendered for.</summary>
    public const string ClusterNameLabel = "cluster.k8s.io/cluster-name";

    private const string TemplatePath = "manifests/provider-components.yaml";

    /// <summary>Renders provider-components.yaml. Throws <see cref="PacketClusterException"/> (ManifestOptionsInvalid) listing every bad option.</summary>
    public static string Render(ProviderComponentsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);

        var version = options.Version ?? ManifestOptionProblems.EngineVersion();
        var objects = ManifestDocuments.LoadTemplate(TemplatePath);

        var secret = ManifestDocuments.Find<V1Secret>(objects, CredentialsSecretName);
        secret.StringData = new Dictionary<string, string>
        {
            ["apiKey"] = options.ApiKey!,
            ["projectID"] = options.ProjectId!,
        };

        var configMap = ManifestDocuments.Find<V1ConfigMap>(objects, MachineConfigsConfigMapName);
        configMap.Data = new Dictionary<string, string> { [MachineConfigsKey] = options.MachineConfigsYaml! };

        if (options.ClusterName is not null)
        {
            ManifestDocuments.SetLabel(secret.Metadata, ClusterNameLabel, options.ClusterName);
            ManifestDocuments.SetLabel(configMap.Metadata, ClusterNameLabel, options.ClusterName);
        }

        var deployment = ManifestDocuments.Find<V1Deployment>(objects, DeploymentName);
        var manager = deployment.Spec.Template.Spec.Containers.Single(c => c.Name == "manager");
        manager.Image = options.ManagerImage ?? $"{ManagerImageRepository}:{version}";
        if (options.ApiUrl is not null)
        {
            manager.Env.Add(new V1EnvVar { Name = "PACKET_API_URL", Value = options.ApiUrl });
        }

        ManifestDocuments.SetLabel(deployment.Spec.Template.Metadata, ManifestDocuments.VersionLabel, version);

        foreach (var obj in objects.Cast<IKubernetesObject<V1ObjectMeta>>())
        {
            ManifestDocuments.SetLabel(obj.Metadata, ManifestDocuments.PartOfLabel, ManifestDocuments.PartOfValue);
            ManifestDocuments.SetLabel(obj.Metadata, ManifestDocuments.VersionLabel, version);
        }

        var documents = new ManifestDocuments(
            $"PacketCluster {version} provider components.\n" +
            "Holds the Packet API key (Secret " + CredentialsSecretName + "): keep this file private.");

        // File order is apply order (kubectl applies documents in sequence): the Namespace first, then the CRDs,
        // then the namespaced objects, so a single `kubectl apply -f` works on an empty cluster.
        var ns = objects.OfType<V1Namespace>().Single();
        documents.Add(ns);
        foreach (var crd in CustomResourceDefinitions.All())
        {
            documents.AddVerbatim(crd);
        }

        foreach (var obj in objects.Where(o => o is not V1Namespace).Cast<IKubernetesObject<V1ObjectMeta>>())
        {
            documents.Add(obj);
        }

        return documents.ToString();
    }

    private static void Validate(ProviderComponentsOptions options)
    {
        var problems = new ManifestOptionProblems(nameof(ProviderComponentsOptions));
        problems.OptionalDnsLabel(nameof(options.ClusterName), options.ClusterName);
        problems.RequireText(nameof(options.ProjectId), options.ProjectId);
        problems.RequireText(nameof(options.ApiKey), options.ApiKey);
        problems.OptionalToken(nameof(options.ManagerImage), options.ManagerImage);
        problems.OptionalImageTag(nameof(options.Version), options.Version);
        problems.OptionalHttpUrl(nameof(options.ApiUrl), options.ApiUrl);

        if (string.IsNullOrWhiteSpace(options.MachineConfigsYaml))
        {
            problems.Add($"{nameof(options.MachineConfigsYaml)} is required: the manager cannot render userdata without the machine-config catalogue.");
        }
        else
        {
            try
            {
                new YamlStream().Load(new StringReader(options.MachineConfigsYaml));
            }
            catch (YamlException e)
            {
                problems.Add($"{nameof(options.MachineConfigsYaml)} is not valid YAML (line {e.Start.Line}, column {e.Start.Column}): {e.Message}");
            }
        }

        problems.ThrowIfAny(options);
    }
}
