using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Pki;
using PacketCluster.Engine.Tests.Pki;
using Xunit;
using YamlDotNet.RepresentationModel;
using static PacketCluster.Engine.Tests.Bootstrap.UserdataRendererTests;

namespace PacketCluster.Engine.Tests.Bootstrap;

/// <summary>
/// A control plane added to a running cluster: its userdata places the cluster's shared CAs and service-account keys
/// and runs <c>kubeadm join</c> with a JoinConfiguration that has a controlPlane section and a pinned CA.
/// (cloud-init schema and the real kubeadm check it in <see cref="CloudInitSchemaTests"/> and <see cref="KubeadmMigrateTests"/>.)
/// </summary>
public class ControlPlaneJoinTests
{
    private static readonly UserdataRenderer Renderer = new(MachineConfigCatalogue.LoadShipped());

    private static readonly string[] SharedKeys =
        ["/etc/kubernetes/pki/ca.key", "/etc/kubernetes/pki/etcd/ca.key", "/etc/kubernetes/pki/front-proxy-ca.key", "/etc/kubernetes/pki/sa.key"];

    private static readonly string[] SharedPublicFiles =
        ["/etc/kubernetes/pki/ca.crt", "/etc/kubernetes/pki/etcd/ca.crt", "/etc/kubernetes/pki/front-proxy-ca.crt", "/etc/kubernetes/pki/sa.pub"];

    [Fact]
    public void CloudConfig_WritesTheSharedKeys0600_AndRunsJoinNotInit()
    {
        var userdata = Renderer.Render(UserdataFixtures.JoiningControlPlane("ubuntu_22_04", "1.20.2"));
        var root = CloudConfig(userdata);

        var files = Files(root);
        Assert.Equal("'0600'", files[UserdataRenderer.KubeadmConfigPath]);
        Assert.All(SharedKeys, k => Assert.Equal("'0600'", files[k]));
        Assert.All(SharedPublicFiles, f => Assert.Equal("'0644'", files[f]));
        var runcmd = (YamlSequenceNode)root["runcmd"];
        Assert.Equal("kubeadm join --config /etc/kubernetes/kubeadm-config.yaml", runcmd.Children[^1].ToString());
        Assert.DoesNotContain(runcmd.Children, c => c.ToString().Contains("kubeadm init", StringComparison.Ordinal));
        // The control-plane entry: it installs the control-plane version.
        Assert.Contains(runcmd.Children, c => c.ToString().Contains("v1.20.2", StringComparison.Ordinal));
        Assert.Contains(UserdataFixtures.Pem("RSA PRIVATE KEY", "RVRDREtFWQo"), WrittenFile(root, "/etc/kubernetes/pki/etcd/ca.key"));
    }

    [Theory]
    [InlineData("ubuntu_22_04", "1.20.2", "kubeadm.k8s.io/v1beta2")]
    [InlineData("ubuntu_22_04", "1.34.0", "kubeadm.k8s.io/v1beta4")]
    public void KubeadmConfig_IsOneJoinConfiguration_WithDiscoveryAndControlPlane(string image, string version, string apiVersion)
    {
        var config = Renderer.RenderKubeadmConfig(UserdataFixtures.JoiningControlPlane(image, version));
        var stream = new YamlStream();
        stream.Load(new StringReader(config));

        var join = (YamlMappingNode)Assert.Single(stream.Documents).RootNode;
        Assert.Equal(apiVersion, join["apiVersion"].ToString());
        Assert.Equal("JoinConfiguration", join["kind"].ToString());
        var token = (YamlMappingNode)join["discovery"]["bootstrapToken"];
        Assert.Equal(UserdataFixtures.JoiningControlPlaneToken, token["token"].ToString());
        Assert.Equal(UserdataFixtures.EndpointHost + ":6443", token["apiServerEndpoint"].ToString());
        Assert.Equal([UserdataFixtures.CaPin], ((YamlSequenceNode)token["caCertHashes"]).Children.Select(c => c.ToString()));
        var bindPort = (YamlScalarNode)join["controlPlane"]["localAPIEndpoint"]["bindPort"];
        Assert.Equal("6443", bindPort.Value);
        // Plain, so kubeadm reads an integer (a quoted "6443" would be a string it refuses).
        Assert.Equal(YamlDotNet.Core.ScalarStyle.Plain, bindPort.Style);
        Assert.Equal("demo-cp-1", join["nodeRegistration"]["name"].ToString());
        Assert.DoesNotContain("unsafeSkipCAVerification", config);
        // Patient enough for a control plane that provisions minutes after this machine (kubeadm's default is 5 minutes);
        // v1beta4 moved the field to timeouts.discovery.
        var timeout = apiVersion.EndsWith("v1beta4", StringComparison.Ordinal) ? join["timeouts"]["discovery"] : join["discovery"]["timeout"];
        Assert.Equal("30m0s", timeout.ToString());
    }

    [Fact]
    public void Pin_IsTheClusterCaWrittenBesideIt_AsOpensslComputesIt()
    {
        var pki = ClusterPki.Generate("demo");
        var request = UserdataFixtures.JoiningControlPlane("ubuntu_22_04", "1.20.2", pki);
        var root = CloudConfig(Renderer.Render(request));
        using var openssl = new OpenSsl();
        openssl.Write("ca.crt", WrittenFile(root, "/etc/kubernetes/pki/ca.crt"));

        // kubeadm's documented recipe for --discovery-token-ca-cert-hash, on the CA the userdata itself writes.
        var result = openssl.Shell("openssl x509 -in ca.crt -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum");

        Assert.True(result.ExitCode == 0, result.Describe());
        var kubeadm = WrittenFile(root, UserdataRenderer.KubeadmConfigPath);
        Assert.Contains("sha256:" + result.StandardOutput.Split(' ')[0], kubeadm);
        // The etcd and front-proxy CAs are not what the pin names.
        Assert.NotEqual(SpkiPin.Compute(pki.EtcdCa.CertificatePem), request.CaCertHash);
    }

    [Fact]
    public void ShellMachineConfig_IsRefusedWithAClearError_WithoutSecrets()
    {
        var request = UserdataFixtures.JoiningControlPlane("ubuntu_18_04", "1.14.3");

        var e = Assert.Throws<PacketClusterException>(() => Renderer.Render(request));

        Assert.Equal(UserdataRenderer.ShellCannotJoinControlPlaneErrorId, e.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("cloud-config machine config", e.Message);
        Assert.Contains("ubuntu_18_04", e.Message);
        foreach (var secret in UserdataFixtures.Secrets(request))
        {
            Assert.DoesNotContain(secret, e.Message);
        }
        // The same entry still serves the first control plane: only the join is refused.
        Assert.StartsWith("#!/bin/bash", Renderer.Render(UserdataFixtures.ControlPlane("ubuntu_18_04", "1.14.3")));
    }

    [Fact]
    public void MissingKeysTokenOrPin_AreEachReported()
    {
        var bare = UserdataFixtures.Bare(UserdataFixtures.JoiningControlPlane("ubuntu_22_04", "1.20.2"));

        var e = Assert.Throws<PacketClusterException>(() => Renderer.Render(bare));

        foreach (var expected in new[] { "CaKeyPem", "EtcdCaKeyPem", "FrontProxyCaKeyPem", "ServiceAccountPrivateKeyPem", "JoinToken", "CaCertHash" })
        {
            Assert.Contains(expected, e.Message);
        }
        Assert.DoesNotContain("BootstrapTokens", e.Message);
    }

    private static string WrittenFile(YamlMappingNode root, string path) =>
        ((YamlSequenceNode)root["write_files"]).Children.Cast<YamlMappingNode>().Single(f => f["path"].ToString() == path)["content"].ToString();
}
