using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;

namespace PacketCluster.Simulator.Boot;

/// <summary>One control plane in kubeadm's ClusterStatus: where its API server (and its stacked etcd member) listens.</summary>
public sealed record ControlPlaneEndpoint(string NodeName, string AdvertiseAddress, int BindPort);

/// <summary>
/// kube-system/kubeadm-config as kubeadm 1.20 keeps it: the ClusterConfiguration <c>kubeadm init</c> used, and the
/// ClusterStatus listing every control plane's API endpoint. A joining control plane reads both (the settings it was
/// not given, and where the existing etcd members are); each control plane adds itself to the status.
/// </summary>
internal static class KubeadmClusterState
{
    public const string Namespace = "kube-system";
    public const string Name = "kubeadm-config";
    private const string ConfigurationKey = "ClusterConfiguration";
    private const string StatusKey = "ClusterStatus";
    private const int MaxConflicts = 10;

    /// <summary>The ClusterConfiguration document for <paramref name="settings"/> (YamlDotNet quotes every value).</summary>
    public static string RenderConfiguration(KubeadmSettings settings)
    {
        var document = new Dictionary<string, object?>
        {
            ["apiVersion"] = settings.ApiVersion ?? "kubeadm.k8s.io/v1beta2",
            ["kind"] = "ClusterConfiguration",
            ["clusterName"] = settings.ClusterName,
            ["kubernetesVersion"] = settings.KubernetesVersion,
            ["controlPlaneEndpoint"] = settings.ControlPlaneEndpoint,
            ["certificatesDir"] = settings.CertificatesDir,
            ["networking"] = settings.PodSubnet is { } pods
                ? new Dictionary<string, object> { ["serviceSubnet"] = settings.ServiceSubnet, ["podSubnet"] = pods, ["dnsDomain"] = settings.DnsDomain }
                : new Dictionary<string, object> { ["serviceSubnet"] = settings.ServiceSubnet, ["dnsDomain"] = settings.DnsDomain },
            ["apiServer"] = new Dictionary<string, object> { ["certSANs"] = settings.CertSans.ToList() },
        };
        return new SerializerBuilder().ConfigureDefaultValuesHandling(DefaultValuesHandling.OmitNull).Build().Serialize(document);
    }

    public static string RenderStatus(IEnumerable<ControlPlaneEndpoint> endpoints)
    {
        var map = endpoints.OrderBy(e => e.NodeName, StringComparer.Ordinal).ToDictionary(
            e => e.NodeName, e => (object)new Dictionary<string, object> { ["advertiseAddress"] = e.AdvertiseAddress, ["bindPort"] = e.BindPort });
        var document = new Dictionary<string, object>
        {
            ["apiVersion"] = "kubeadm.k8s.io/v1beta2",
            ["kind"] = "ClusterStatus",
            ["apiEndpoints"] = map,
        };
        return new SerializerBuilder().Build().Serialize(document);
    }

    /// <exception cref="FormatException">Not a ClusterStatus document.</exception>
    public static List<ControlPlaneEndpoint> ParseStatus(string? yaml)
    {
        var endpoints = new List<ControlPlaneEndpoint>();
        if (string.IsNullOrWhiteSpace(yaml)) return endpoints;
        var stream = new YamlStream();
        try { stream.Load(new StringReader(yaml)); }
        catch (YamlDotNet.Core.YamlException) { throw new FormatException("kubeadm-config ClusterStatus is not YAML"); }
        if (stream.Documents.FirstOrDefault()?.RootNode is not YamlMappingNode root) throw new FormatException("kubeadm-config ClusterStatus is not a mapping");
        if (BootPlan.Child(root, "apiEndpoints") is not YamlMappingNode map) return endpoints;
        foreach (var (key, value) in map.Children)
        {
            if (key is not YamlScalarNode { Value: { Length: > 0 } node } || value is not YamlMappingNode entry) continue;
            if (BootPlan.Scalar(entry, "advertiseAddress") is not { } address || !IPAddress.TryParse(address, out _)) continue;
            var port = int.TryParse(BootPlan.Scalar(entry, "bindPort"), out var p) ? p : ControlPlane.ApiServerPort;
            endpoints.Add(new ControlPlaneEndpoint(node, address, port));
        }
        return endpoints;
    }

    /// <summary>kubeadm init's upload: the configuration and a status with the first control plane.</summary>
    public static V1ConfigMap Initial(KubeadmSettings settings, ControlPlaneEndpoint first) => new()
    {
        Metadata = new V1ObjectMeta { Name = Name, NamespaceProperty = Namespace },
        Data = new Dictionary<string, string>
        {
            [ConfigurationKey] = RenderConfiguration(settings),
            [StatusKey] = RenderStatus([first]),
        },
    };

    public static async Task<(string? Configuration, List<ControlPlaneEndpoint> Endpoints)> ReadAsync(IKubernetes client, CancellationToken cancel)
    {
        var map = await client.CoreV1.ReadNamespacedConfigMapAsync(Name, Namespace, cancellationToken: cancel);
        return (Entry(map, ConfigurationKey), ParseStatus(Entry(map, StatusKey)));
    }

    private static string? Entry(V1ConfigMap map, string key) => map.Data is { } data && data.TryGetValue(key, out var value) ? value : null;

    /// <summary>Adds (or updates) one control plane in ClusterStatus; optimistic concurrency, retried on conflict (bounded).</summary>
    public static async Task RecordAsync(IKubernetes client, ControlPlaneEndpoint endpoint, CancellationToken cancel)
    {
        for (var attempt = 1; ; attempt++)
        {
            var map = await client.CoreV1.ReadNamespacedConfigMapAsync(Name, Namespace, cancellationToken: cancel);
            var endpoints = ParseStatus(Entry(map, StatusKey)).Where(e => e.NodeName != endpoint.NodeName).Append(endpoint);
            map.Data ??= new Dictionary<string, string>();
            map.Data[StatusKey] = RenderStatus(endpoints);
            try
            {
                await client.CoreV1.ReplaceNamespacedConfigMapAsync(map, Name, Namespace, cancellationToken: cancel);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict && attempt < MaxConflicts)
            {
                // Another control plane joined at the same moment; read again.
            }
        }
    }
}
