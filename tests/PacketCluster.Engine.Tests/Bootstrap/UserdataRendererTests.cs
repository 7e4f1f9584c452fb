using PacketCluster.Engine.Bootstrap;
using Xunit;

namespace PacketCluster.Engine.Tests.Bootstrap;

public class UserdataRendererTests
{
    private static readonly MachineConfigCatalogue Shipped = MachineConfigCatalogue.LoadShipped();
    private static readonly UserdataRenderer Renderer = new(Shipped);

    public static TheoryData<string, string> GoldenCases => new()
    {
        { "controlplane-ubuntu_22_04-1.34.0.userdata", "cp" },
        { "worker-ubuntu_22_04-1.34.0.userdata", "worker" },
        { "controlplane-ubuntu_20_04-1.20.2.kubeadm.yaml", "cp-kubeadm" },
        { "worker-ubuntu_18_04-1.14.3.userdata.sh", "worker-shell" },
    };

    /// <summary>Set PACKETCLUSTER_UPDATE_GOLDEN=1 to rewrite the files in testdata/bootstrap; review the diff.</summary>
    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Render_MatchesGoldenFile(string file, string kind)
    {
        var actual = kind switch
        {
            "cp" => Renderer.Render(UserdataFixtures.ControlPlane("ubuntu_22_04", "1.34.0")),
            "worker" => Renderer.Render(UserdataFixtures.Worker("ubuntu_22_04", "1.34.0")),
            "cp-kubeadm" => Renderer.RenderKubeadmConfig(UserdataFixtures.ControlPlane("ubuntu_20_04", "1.20.2")),
            "worker-shell" => Renderer.Render(UserdataFixtures.Worker("ubuntu_18_04", "1.14.3")),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        var path = Path.Combine(UserdataFixtures.TestDataDirectory(), file);

        if (Environment.GetEnvironmentVariable("PACKETCLUSTER_UPDATE_GOLDEN") == "1")
        {
            File.WriteAllText(path, actual);
        }

        Assert.True(File.Exists(path), $"Golden file {path} is missing; run once with PACKETCLUSTER_UPDATE_GOLDEN=1.");
        Assert.Equal(File.ReadAllText(path), actual);
    }

    [Fact]
    public void ControlPlane_CloudConfig_WritesKubeadmConfigAndPki_AndRunsInitLast()
    {
        var userdata = Renderer.Render(UserdataFixtures.ControlPlane("ubuntu_24_04", "1.35.0"));
        var root = CloudConfig(userdata);

        var files = Files(root);
        Assert.Equal("'0600'", files["/etc/kubernetes/kubeadm-config.yaml"]);
        Assert.Equal("'0644'", files["/etc/kubernetes/pki/ca.crt"]);
        Assert.Equal("'0600'", files["/etc/kubernetes/pki/ca.key"]);
        Assert.Equal("'0644'", files["/etc/kubernetes/pki/etcd/ca.crt"]);
        Assert.Equal("'0600'", files["/etc/kubernetes/pki/etcd/ca.key"]);
        Assert.Equal("'0644'", files["/etc/kubernetes/pki/front-proxy-ca.crt"]);
        Assert.Equal("'0600'", files["/etc/kubernetes/pki/front-proxy-ca.key"]);
        Assert.Equal("'0644'", files["/etc/kubernetes/pki/sa.pub"]);
        Assert.Equal("'0600'", files["/etc/kubernetes/pki/sa.key"]);
        var runcmd = (YamlDotNet.RepresentationModel.YamlSequenceNode)root["runcmd"];
        Assert.Equal("kubeadm init --config /etc/kubernetes/kubeadm-config.yaml", runcmd.Children[^1].ToString());
        Assert.Contains(runcmd.Children, c => c.ToString().Contains("https://pkgs.k8s.io/core:/stable:/v1.35/deb/", StringComparison.Ordinal));
        Assert.Contains(runcmd.Children, c => c.ToString().Contains("kubeadm='1.35.0-*'", StringComparison.Ordinal));
        Assert.DoesNotContain("{{", userdata);
        Assert.DoesNotContain("metadata.packet.net", userdata);
    }

    [Fact]
    public void Worker_CloudConfig_WritesOnlyTheJoinConfig_AndRunsJoin()
    {
        var userdata = Renderer.Render(UserdataFixtures.Worker("ubuntu_22_04", "1.20.2"));
        var root = CloudConfig(userdata);

        var files = Files(root);
        Assert.Equal("'0600'", files["/etc/kubernetes/kubeadm-config.yaml"]);
        // kubeadm join refuses to run when /etc/kubernetes/pki/ca.crt already exists.
        Assert.DoesNotContain(files.Keys, k => k.StartsWith("/etc/kubernetes/pki/", StringComparison.Ordinal));
        var runcmd = (YamlDotNet.RepresentationModel.YamlSequenceNode)root["runcmd"];
        Assert.Equal("kubeadm join --config /etc/kubernetes/kubeadm-config.yaml", runcmd.Children[^1].ToString());
        Assert.Contains("https://dl.k8s.io/release/v1.20.2/bin/linux/amd64/", userdata);
    }

    [Theory]
    [InlineData("1.14.3", "kubeadm.k8s.io/v1beta1")]
    [InlineData("1.15.0", "kubeadm.k8s.io/v1beta2")]
    [InlineData("1.20.2", "kubeadm.k8s.io/v1beta2")]
    [InlineData("1.21.14", "kubeadm.k8s.io/v1beta2")]
    [InlineData("1.22.0", "kubeadm.k8s.io/v1beta3")]
    [InlineData("1.30.5", "kubeadm.k8s.io/v1beta3")]
    [InlineData("1.31.0", "kubeadm.k8s.io/v1beta4")]
    [InlineData("1.36.0", "kubeadm.k8s.io/v1beta4")]
    public void KubeadmApi_FollowsTheKubernetesMinor(string version, string apiVersion)
    {
        Assert.Equal(apiVersion, KubeadmApi.ForKubernetes(version).Version);
    }

    [Fact]
    public void KubeadmApi_RejectsVersionsBefore114()
    {
        var e = Assert.Throws<PacketClusterException>(() => KubeadmApi.ForKubernetes("1.13.5"));
        Assert.Equal("UnsupportedKubernetesVersion", e.ErrorId);
    }

    [Fact]
    public void GoDuration_IsWhatKubeadmParses()
    {
        Assert.Equal("2h0m0s", KubeadmConfig.GoDuration(TimeSpan.FromHours(2)));
        Assert.Equal("26h30m5s", KubeadmConfig.GoDuration(new TimeSpan(1, 2, 30, 5)));
    }

    [Fact]
    public void ShellEntry_HasTheSeedsHeaderInOrder_ThenPacketClustersVariables()
    {
        var master = Renderer.Render(UserdataFixtures.ControlPlane("ubuntu_18_04", "1.14.3"));
        var worker = Renderer.Render(UserdataFixtures.Worker("ubuntu_18_04", "1.14.3"));

        Assert.Equal(
            ["KUBELET_VERSION", "TOKEN", "PORT", "NAMESPACE", "MACHINE", "CONTROL_PLANE_VERSION", "CLUSTER_DNS_DOMAIN", "POD_CIDR", "SERVICE_CIDR",
             "MASTER_CA_CERTIFICATE", "MASTER_CA_PRIVATE_KEY", "ROLE", "CR_PACKAGE",
             "NODE_NAME", "KUBEADM_CONFIG", "ETCD_CA_CERTIFICATE", "ETCD_CA_PRIVATE_KEY", "FRONT_PROXY_CA_CERTIFICATE", "FRONT_PROXY_CA_PRIVATE_KEY", "SA_PUBLIC_KEY", "SA_PRIVATE_KEY"],
            HeaderNames(master));
        Assert.Equal(
            ["KUBELET_VERSION", "MASTER", "TOKEN", "NAMESPACE", "MACHINE", "CLUSTER_DNS_DOMAIN", "POD_CIDR", "SERVICE_CIDR", "ROLE", "CR_PACKAGE",
             "NODE_NAME", "KUBEADM_CONFIG", "MASTER_CA_CERT_HASH"],
            HeaderNames(worker));
        Assert.StartsWith("#!/bin/bash\nKUBELET_VERSION='1.14.3'\n", master);
        Assert.Contains("\nROLE='master'\n", master);
        Assert.Contains("\nMASTER='198.51.100.7:6443'\n", worker);
        Assert.Contains("\nCR_PACKAGE='docker-ce=5:18.09.7~3-0~ubuntu-bionic'\n", worker);
        Assert.DoesNotContain("unsafe", worker, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("ignore-preflight-errors", worker);
        Assert.DoesNotContain("weave", worker, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ShellEntry_IsValidBash()
    {
        var bash = ExternalCommand.FindOnPath("bash") ?? throw new InvalidOperationException("bash is not on PATH.");
        using var dir = UserdataFixtures.Temp("shell-userdata");
        foreach (var (name, request) in new[] { ("cp.sh", UserdataFixtures.ControlPlane("ubuntu_18_04", "1.14.3")), ("worker.sh", UserdataFixtures.Worker("ubuntu_18_04", "1.14.3")) })
        {
            var file = dir.File(name);
            await File.WriteAllTextAsync(file, Renderer.Render(request));

            var result = await ExternalCommand.RunAsync(bash, ["-n", file], TimeSpan.FromSeconds(30));

            Assert.True(result.ExitCode == 0, $"bash -n {name}: {result.Output}");
        }
    }

    [Fact]
    public void ShellEntry_CarriesTheRenderedKubeadmConfig()
    {
        var request = UserdataFixtures.Worker("ubuntu_18_04", "1.14.3");
        var worker = Renderer.Render(request);

        var line = worker.Split('\n').Single(l => l.StartsWith("KUBEADM_CONFIG=", StringComparison.Ordinal));
        var decoded = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(line["KUBEADM_CONFIG='".Length..^1]));

        Assert.Equal(Renderer.RenderKubeadmConfig(request), decoded);
        Assert.Contains("apiVersion: kubeadm.k8s.io/v1beta1", decoded);
        Assert.Contains("criSocket: /var/run/dockershim.sock", decoded);
    }

    [Fact]
    public void ToString_ShowsNoKeysOrTokens()
    {
        foreach (var request in new[] { UserdataFixtures.ControlPlane("ubuntu_22_04", "1.34.0"), UserdataFixtures.Worker("ubuntu_22_04", "1.34.0") })
        {
            var text = request.ToString();
            Assert.Contains("demo", text);
            foreach (var secret in UserdataFixtures.Secrets(request))
            {
                Assert.DoesNotContain(secret, text);
            }
        }
    }

    [Fact]
    public void InvalidRequest_ListsEveryProblem_WithoutSecrets()
    {
        var good = UserdataFixtures.ControlPlane("ubuntu_22_04", "1.34.0");
        var bad = new UserdataRequest
        {
            Role = MachineRole.ControlPlane,
            ClusterName = "demo",
            NodeName = "Demo_CP",
            KubernetesVersion = "v1.34.0",
            Image = "ubuntu_22_04",
            ControlPlaneEndpointHost = "198.51.100.7",
            PodCidr = "notacidr",
            ServiceCidr = "10.96.0.1/12",
            CaCertificatePem = good.CaCertificatePem,
            CaKeyPem = "not a pem but secret-ish",
            BootstrapTokens = ["ABCDEF.0123456789abcdef", "c0ntr0.fedcba9876543210"],
            ContainerRuntime = "containerd; rm -rf /",
        };

        var e = Assert.Throws<PacketClusterException>(() => Renderer.Render(bad));

        Assert.Equal("InvalidUserdataRequest", e.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
        foreach (var expected in new[] { "NodeName", "KubernetesVersion", "PodCidr", "ServiceCidr", "CaKeyPem", "EtcdCaCertificatePem", "BootstrapTokens[0]", "ContainerRuntime" })
        {
            Assert.Contains(expected, e.Message);
        }
        Assert.DoesNotContain("secret-ish", e.Message);
        Assert.DoesNotContain("0123456789abcdef", e.Message);
    }

    [Fact]
    public void Worker_WithoutCaPin_IsRejected()
    {
        var worker = UserdataFixtures.Worker("ubuntu_22_04", "1.34.0");
        var unpinned = UserdataFixtures.Bare(worker, joinToken: worker.JoinToken);

        var e = Assert.Throws<PacketClusterException>(() => Renderer.Render(unpinned));

        Assert.Contains("CaCertHash", e.Message);
        Assert.DoesNotContain(UserdataFixtures.WorkerToken, e.Message);
    }

    [Fact]
    public void UnknownVersion_ThrowsMachineConfigNotFound()
    {
        var e = Assert.Throws<MachineConfigNotFoundException>(() => Renderer.Render(UserdataFixtures.Worker("ubuntu_22_04", "1.33.0")));

        Assert.Contains("kubelet 1.34.0 (worker)", e.Message);
    }

    [Fact]
    public void RequestContainerRuntime_OverridesTheCatalogue()
    {
        var worker = UserdataFixtures.Worker("ubuntu_22_04", "1.34.0");
        var pinned = UserdataFixtures.Bare(worker, joinToken: worker.JoinToken, caCertHash: worker.CaCertHash, containerRuntime: "containerd=1.7.12-0ubuntu2~22.04.1");

        Assert.Contains("apt-mark hold kubelet kubeadm kubectl containerd=1.7.12-0ubuntu2~22.04.1", Renderer.Render(pinned));
    }

    internal static YamlDotNet.RepresentationModel.YamlMappingNode CloudConfig(string userdata)
    {
        Assert.StartsWith("#cloud-config\n", userdata);
        var stream = new YamlDotNet.RepresentationModel.YamlStream();
        stream.Load(new StringReader(userdata));
        return (YamlDotNet.RepresentationModel.YamlMappingNode)stream.Documents.Single().RootNode;
    }

    /// <summary>write_files path → permissions as written (quotes included, to prove they stay strings).</summary>
    internal static Dictionary<string, string> Files(YamlDotNet.RepresentationModel.YamlMappingNode root) =>
        ((YamlDotNet.RepresentationModel.YamlSequenceNode)root["write_files"]).Children
            .Cast<YamlDotNet.RepresentationModel.YamlMappingNode>()
            .Where(f => f.Children.ContainsKey("permissions"))
            .ToDictionary(
                f => f["path"].ToString(),
                f => f["permissions"] is YamlDotNet.RepresentationModel.YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.SingleQuoted } s ? $"'{s.Value}'" : f["permissions"].ToString());

    private static List<string> HeaderNames(string script) =>
        script.Split('\n').Skip(1).TakeWhile(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l[..l.IndexOf('=')]).ToList();
}
