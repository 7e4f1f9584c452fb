using PacketCluster.Engine.Bootstrap;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace PacketCluster.Engine.Tests.Bootstrap;

/// <summary>
/// Shape checks for kubeadm APIs no local binary can validate (kubeadm 1.20 knows neither v1beta3 nor v1beta4):
/// the documents parse, carry the right apiVersion and kinds, and v1beta4 uses list-shaped extra args.
/// </summary>
public class KubeadmConfigTests
{
    private static readonly MachineConfigCatalogue Catalogue = MachineConfigCatalogue.LoadShipped();
    private static readonly UserdataRenderer Renderer = new(Catalogue);

    public static TheoryData<string, string, bool> CurrentEntries()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var e in Catalogue.Entries.Where(e => int.Parse(e.Kubelet.Split('.')[1]) >= 31))
        {
            data.Add(e.Image, e.Kubelet, e.ControlPlane is not null);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CurrentEntries))]
    public void V1Beta4_DocumentsHaveTheRightShape(string image, string version, bool controlPlane)
    {
        var request = controlPlane ? UserdataFixtures.ControlPlane(image, version) : UserdataFixtures.Worker(image, version);

        var documents = Documents(Renderer.RenderKubeadmConfig(request));

        var kinds = documents.Select(d => $"{d["apiVersion"]}/{d["kind"]}").ToList();
        Assert.Equal(controlPlane
            ? ["kubeadm.k8s.io/v1beta4/InitConfiguration", "kubeadm.k8s.io/v1beta4/ClusterConfiguration", "kubelet.config.k8s.io/v1beta1/KubeletConfiguration"]
            : ["kubeadm.k8s.io/v1beta4/JoinConfiguration"], kinds);

        var registration = (YamlMappingNode)documents[0]["nodeRegistration"];
        Assert.Equal(request.NodeName, registration["name"].ToString());
        Assert.Equal("unix:///run/containerd/containerd.sock", registration["criSocket"].ToString());
        var args = Assert.IsType<YamlSequenceNode>(registration["kubeletExtraArgs"]);
        var pairs = args.Children.Cast<YamlMappingNode>().Select(a =>
        {
            Assert.Equal(["name", "value"], a.Children.Keys.Select(k => k.ToString()));
            return (a["name"].ToString(), a["value"].ToString());
        }).ToList();
        Assert.Contains(("cloud-provider", "external"), pairs);
        Assert.Equal(request.ProviderId is not null, pairs.Any(p => p.Item1 == "provider-id"));

        if (controlPlane)
        {
            var tokens = (YamlSequenceNode)documents[0]["bootstrapTokens"];
            Assert.Equal(request.BootstrapTokens, tokens.Children.Select(t => t["token"].ToString()));
            Assert.All(tokens.Children, t =>
            {
                Assert.Equal(["signing", "authentication"], ((YamlSequenceNode)t["usages"]).Children.Select(u => u.ToString()));
                Assert.Equal(["system:bootstrappers:kubeadm:default-node-token"], ((YamlSequenceNode)t["groups"]).Children.Select(u => u.ToString()));
                Assert.Equal("2h0m0s", t["ttl"].ToString());
            });
            Assert.False(documents[0].Children.ContainsKey("localAPIEndpoint"));
            var cluster = documents[1];
            Assert.Equal("v" + version, cluster["kubernetesVersion"].ToString());
            Assert.Equal("198.51.100.7:6443", cluster["controlPlaneEndpoint"].ToString());
            Assert.Equal("demo", cluster["clusterName"].ToString());
            Assert.Equal(["198.51.100.7"], ((YamlSequenceNode)cluster["apiServer"]["certSANs"]).Children.Select(c => c.ToString()));
            Assert.Equal("10.244.0.0/16", cluster["networking"]["podSubnet"].ToString());
            Assert.Equal("10.96.0.0/12", cluster["networking"]["serviceSubnet"].ToString());
            Assert.Equal("cluster.local", cluster["networking"]["dnsDomain"].ToString());
            Assert.Equal("systemd", documents[2]["cgroupDriver"].ToString());
        }
        else
        {
            var discovery = (YamlMappingNode)documents[0]["discovery"]["bootstrapToken"];
            Assert.Equal("198.51.100.7:6443", discovery["apiServerEndpoint"].ToString());
            Assert.Equal(UserdataFixtures.WorkerToken, discovery["token"].ToString());
            Assert.Equal([UserdataFixtures.CaPin], ((YamlSequenceNode)discovery["caCertHashes"]).Children.Select(c => c.ToString()));
            Assert.False(discovery.Children.ContainsKey("unsafeSkipCAVerification"));
        }
    }

    [Fact]
    public void V1Beta3_KeepsMapShapedArgs_AndSocketUrl()
    {
        // Not shipped, so a one-entry catalogue: Kubernetes 1.22–1.30 read v1beta3.
        var catalogue = MachineConfigCatalogue.Parse("""
            items:
            - machineParams:
              - image: ubuntu_22_04
                versions: {kubelet: 1.28.4}
                containerRuntime: containerd
              userdata: |
                #cloud-config
                runcmd: []
            """, "v1beta3.yaml");

        var documents = Documents(new UserdataRenderer(catalogue).RenderKubeadmConfig(UserdataFixtures.Worker("ubuntu_22_04", "1.28.4")));

        Assert.Equal("kubeadm.k8s.io/v1beta3", documents[0]["apiVersion"].ToString());
        var registration = (YamlMappingNode)documents[0]["nodeRegistration"];
        Assert.Equal("external", registration["kubeletExtraArgs"]["cloud-provider"].ToString());
        Assert.Equal("unix:///run/containerd/containerd.sock", registration["criSocket"].ToString());
    }

    [Fact]
    public void Endpoint_WithIpv6Host_IsBracketed()
    {
        var worker = UserdataFixtures.Worker("ubuntu_24_04", "1.34.0");
        var v6 = new UserdataRequest
        {
            Role = worker.Role, ClusterName = worker.ClusterName, NodeName = worker.NodeName, KubernetesVersion = worker.KubernetesVersion,
            Image = worker.Image, ControlPlaneEndpointHost = "2001:db8::7", PodCidr = worker.PodCidr, ServiceCidr = worker.ServiceCidr,
            JoinToken = worker.JoinToken, CaCertHash = worker.CaCertHash,
        };

        var documents = Documents(Renderer.RenderKubeadmConfig(v6));

        Assert.Equal("[2001:db8::7]:6443", documents[0]["discovery"]["bootstrapToken"]["apiServerEndpoint"].ToString());
    }

    private static List<YamlMappingNode> Documents(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }
}
