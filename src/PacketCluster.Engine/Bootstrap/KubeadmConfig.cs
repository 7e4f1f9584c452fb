using YamlDotNet.RepresentationModel;
using static PacketCluster.Engine.Bootstrap.YamlNodeWriter;

namespace PacketCluster.Engine.Bootstrap;

/// <summary>
/// Builds the kubeadm config file: InitConfiguration + ClusterConfiguration (+ KubeletConfiguration) for the first
/// control plane, JoinConfiguration for a worker or a further control plane, in the kubeadm API the Kubernetes minor reads.
/// </summary>
internal static class KubeadmConfig
{
    public const string NodeTokenGroup = "system:bootstrappers:kubeadm:default-node-token";

    public static string Render(UserdataRequest r, string containerRuntime)
    {
        var api = KubeadmApi.ForKubernetes(r.KubernetesVersion);
        var registration = NodeRegistration(r, api, containerRuntime);
        var documents = r.Role.Joins()
            ? [Join(r, api, registration)]
            : ControlPlane(r, api, registration, containerRuntime);
        return Write(documents);
    }

    /// <summary>"host:port", with an IPv6 host in brackets.</summary>
    public static string Endpoint(UserdataRequest r) => Endpoint(r.ControlPlaneEndpointHost, r.ControlPlaneEndpointPort);

    /// <summary>host:port as kubeadm's apiServerEndpoint takes it (an IPv6 host in brackets).</summary>
    public static string Endpoint(string host, int port) => (host.Contains(':') ? $"[{host}]" : host) + ":" + port;

    public static bool IsDocker(string containerRuntime) => containerRuntime.StartsWith("docker", StringComparison.Ordinal);

    private static List<YamlNode> ControlPlane(UserdataRequest r, KubeadmApi api, YamlMappingNode registration, string containerRuntime)
    {
        var tokens = new YamlSequenceNode();
        foreach (var token in r.BootstrapTokens)
        {
            tokens.Add(new YamlMappingNode
            {
                { "token", Str(token) },
                { "description", Str("PacketCluster bootstrap token for one machine of cluster " + r.ClusterName) },
                { "ttl", Str(GoDuration(r.BootstrapTokenTtl)) },
                { "usages", StrSeq(["signing", "authentication"]) },
                { "groups", StrSeq([NodeTokenGroup]) },
            });
        }

        // No localAPIEndpoint.advertiseAddress: unset, kubeadm takes the default-route address, which is the
        // machine's public IP on Packet (and a loopback value is rejected outright).
        var init = Header(api.Version, "InitConfiguration");
        init.Add("bootstrapTokens", tokens);
        init.Add("nodeRegistration", registration);

        var cluster = Header(api.Version, "ClusterConfiguration");
        cluster.Add("clusterName", Str(r.ClusterName));
        // Without kubernetesVersion kubeadm asks dl.k8s.io for "stable-1" at init time.
        cluster.Add("kubernetesVersion", Str("v" + r.KubernetesVersion));
        cluster.Add("controlPlaneEndpoint", Str(Endpoint(r)));
        cluster.Add("networking", new YamlMappingNode
        {
            { "dnsDomain", Str(r.DnsDomain) },
            { "podSubnet", Str(r.PodCidr) },
            { "serviceSubnet", Str(r.ServiceCidr) },
        });
        cluster.Add("apiServer", new YamlMappingNode { { "certSANs", StrSeq([r.ControlPlaneEndpointHost]) } });

        var documents = new List<YamlNode> { init, cluster };
        if (!IsDocker(containerRuntime))
        {
            // The templates configure containerd with SystemdCgroup = true; the kubelet must use the same driver.
            // kubeadm uploads this to the cluster, so joining workers get it too. (Docker: kubeadm detects the driver.)
            var kubelet = Header("kubelet.config.k8s.io/v1beta1", "KubeletConfiguration");
            kubelet.Add("cgroupDriver", Str("systemd"));
            documents.Add(kubelet);
        }
        return documents;
    }

    /// <summary>
    /// How long kubeadm join keeps looking for the control plane. Its 5-minute default is shorter than a Packet control
    /// plane can take (3–10 minutes of provisioning, then kubeadm init), and every machine is created at once (PRODUCT.md
    /// §4), so a worker often boots first: without this it gave up before the API server ever answered.
    /// </summary>
    public static readonly TimeSpan JoinDiscoveryTimeout = TimeSpan.FromMinutes(30);

    private static YamlMappingNode Join(UserdataRequest r, KubeadmApi api, YamlMappingNode registration)
    {
        var join = Header(api.Version, "JoinConfiguration");
        // The CA is pinned: the seed's --discovery-token-unsafe-skip-ca-verification let anyone on the path be the API server.
        var discovery = new YamlMappingNode
        {
            {
                "bootstrapToken", new YamlMappingNode
                {
                    { "apiServerEndpoint", Str(Endpoint(r)) },
                    { "token", Str(r.JoinToken!) },
                    { "caCertHashes", StrSeq([r.CaCertHash!]) },
                }
            },
        };
        var timeout = Str(GoDuration(JoinDiscoveryTimeout));
        if (!api.TimeoutsSection) discovery.Add("timeout", timeout);
        join.Add("discovery", discovery);
        if (api.TimeoutsSection) join.Add("timeouts", new YamlMappingNode { { "discovery", timeout } });
        join.Add("nodeRegistration", registration);
        if (r.Role == MachineRole.JoiningControlPlane)
        {
            // Makes kubeadm join run an API server and an etcd member here. The bind port is the one kubeadm init
            // used on the first control plane (its default; the endpoint port is where the elastic IP is reached).
            // No advertiseAddress, as for init: kubeadm takes the default-route address, the public IP on Packet.
            join.Add("controlPlane", new YamlMappingNode
            {
                { "localAPIEndpoint", new YamlMappingNode { { "bindPort", new YamlScalarNode(UserdataRequest.DefaultControlPlanePort.ToString(System.Globalization.CultureInfo.InvariantCulture)) } } },
            });
        }
        return join;
    }

    private static YamlMappingNode NodeRegistration(UserdataRequest r, KubeadmApi api, string containerRuntime)
    {
        var args = new List<(string Name, string Value)> { ("cloud-provider", "external") };
        if (!string.IsNullOrEmpty(r.ProviderId))
        {
            args.Add(("provider-id", r.ProviderId));
        }

        if (r.NodeLabels.Count > 0)
        {
            // Node pools: the kubelet registers its Node with the pool's labels (sorted, so the userdata is stable).
            args.Add(("node-labels", string.Join(",", r.NodeLabels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"))));
        }

        var socket = IsDocker(containerRuntime) ? "/var/run/dockershim.sock" : "/run/containerd/containerd.sock";
        var registration = new YamlMappingNode
        {
            { "name", Str(r.NodeName) },
            { "criSocket", Str(api.SocketAsUrl ? "unix://" + socket : socket) },
            { "kubeletExtraArgs", ExtraArgs(api, args) },
        };
        if (r.NodeTaints.Count > 0)
        {
            // kubeadm registers the Node with exactly these (for a control plane they replace its default taint).
            registration.Add("taints", Seq(r.NodeTaints.Select(t =>
            {
                var taint = new YamlMappingNode { { "key", Str(t.Key ?? string.Empty) } };
                if (!string.IsNullOrEmpty(t.Value)) taint.Add("value", Str(t.Value));
                taint.Add("effect", Str(t.Effect ?? string.Empty));
                return (YamlNode)taint;
            })));
        }
        return registration;
    }

    private static YamlNode ExtraArgs(KubeadmApi api, IEnumerable<(string Name, string Value)> args)
    {
        if (api.ArgsAsList)
        {
            return Seq(args.Select(a => (YamlNode)new YamlMappingNode { { "name", Str(a.Name) }, { "value", Str(a.Value) } }));
        }
        var map = new YamlMappingNode();
        foreach (var (name, value) in args)
        {
            map.Add(name, Str(value));
        }
        return map;
    }

    private static YamlMappingNode Header(string apiVersion, string kind) => new()
    {
        { "apiVersion", Str(apiVersion) },
        { "kind", Str(kind) },
    };

    /// <summary>A Go time.Duration string as Go prints it, the format of kubeadm's ttl: "2h0m0s", "30m0s", "45s".</summary>
    internal static string GoDuration(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{(int)span.TotalHours}h{span.Minutes}m{span.Seconds}s"
        : span.TotalMinutes >= 1 ? $"{span.Minutes}m{span.Seconds}s"
        : $"{span.Seconds}s";
}
