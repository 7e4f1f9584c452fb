using System.IO.Compression;
using System.Text;
using PacketCluster.Simulator.Boot;
using Xunit;

namespace PacketCluster.Simulator.Tests.Boot;

/// <summary>The userdata interpreter and the kubeadm config reader: no binaries, no processes.</summary>
public sealed class BootPlanTests
{
    private static string B64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    private static string GzipB64(string text)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest)) gzip.Write(Encoding.UTF8.GetBytes(text));
        return Convert.ToBase64String(buffer.ToArray());
    }

    [Fact]
    public void CloudConfig_WriteFilesDecodesEveryEncodingAndKeepsPermissions()
    {
        var plan = BootPlan.Parse($"""
            #cloud-config
            write_files:
            - path: /etc/plain.txt
              content: |
                hello
            - path: /etc/kubernetes/pki/ca.key
              encoding: b64
              permissions: '0600'
              content: {B64("secret-ish")}
            - path: /etc/zipped.conf
              encoding: gzip+base64
              permissions: "0640"
              content: {GzipB64("zipped content")}
            - path: /etc/plain.txt
              append: true
              content: "more"
            runcmd:
            - apt-get install -y kubelet
            - [ curl, -fsSL, https://example.invalid/x ]
            - kubeadm init --config /etc/kubernetes/kubeadm-config.yaml --ignore-preflight-errors=all
            - [ sudo, /usr/bin/kubeadm, join, --config=/etc/join.yaml ]
            """);

        Assert.Empty(plan.Problems);
        Assert.Equal("cloud-config", plan.Format);
        Assert.Equal("hello\n", Encoding.UTF8.GetString(plan.Files[0].Content));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, plan.Files[0].Mode); // default 0644
        Assert.Equal("secret-ish", Encoding.UTF8.GetString(plan.Files[1].Content));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, plan.Files[1].Mode);
        Assert.Equal("zipped content", Encoding.UTF8.GetString(plan.Files[2].Content));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, plan.Files[2].Mode);
        Assert.Equal("hello\nmore", Encoding.UTF8.GetString(plan.Files[3].Content)); // append: true

        Assert.Equal(["apt-get", "curl"], plan.Skipped);
        Assert.Equal(2, plan.Commands.Count);
        Assert.Equal(KubeadmVerb.Init, plan.Commands[0].Verb);
        Assert.Equal("/etc/kubernetes/kubeadm-config.yaml", plan.Commands[0].ConfigPath);
        Assert.Equal(KubeadmVerb.Join, plan.Commands[1].Verb);
        Assert.Equal("/etc/join.yaml", plan.Commands[1].ConfigPath);
    }

    [Theory]
    [InlineData("#cloud-config\nwrite_files: [\n", "not valid YAML")]
    [InlineData("#cloud-config\nwrite_files: {path: /x}\n", "write_files must be a list")]
    [InlineData("#cloud-config\nwrite_files:\n- path: relative/x\n  content: a\n", "absolute path")]
    [InlineData("#cloud-config\nwrite_files:\n- path: /x\n  encoding: b64\n  content: '***'\n", "cannot decode")]
    [InlineData("#cloud-config\nwrite_files:\n- path: /x\n  permissions: 'rw-'\n  content: a\n", "not an octal mode")]
    [InlineData("just text", "neither #cloud-config nor")]
    [InlineData("#!/bin/bash\nKUBELET_VERSION='1.20.2'\necho hi\n", "no ROLE variable")]
    public void MalformedUserdata_SaysWhy(string userdata, string expected)
    {
        var plan = BootPlan.Parse(userdata);
        Assert.Contains(plan.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void NodeRegistration_GivesTheKubeletTheNodePoolsLabelsAndTaints()
    {
        // As the engine writes a node pool's join: labels through the kubelet's node-labels, taints in nodeRegistration.
        var pool = KubeadmSettings.Parse("""
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: JoinConfiguration
            discovery:
              bootstrapToken: {apiServerEndpoint: "127.60.0.1:6443", token: abcdef.0123456789abcdef, caCertHashes: ["sha256:ab"]}
            nodeRegistration:
              name: np-big-0
              kubeletExtraArgs: [{name: node-labels, value: "example.com/size=big,packetcluster.io/machine-deployment=np-big"}]
              taints: [{key: dedicated, value: big, effect: NoSchedule}, {key: example.com/spot, effect: PreferNoSchedule}]
            """);
        Assert.Equal(new Dictionary<string, string> { ["example.com/size"] = "big", ["packetcluster.io/machine-deployment"] = "np-big" }, pool.NodeLabels());
        var controlPlaneDefault = new k8s.Models.V1Taint { Key = "node-role.kubernetes.io/master", Effect = "NoSchedule" };
        Assert.Equal(new[] { ("dedicated", "big", "NoSchedule"), ("example.com/spot", "", "PreferNoSchedule") },
            pool.NodeTaints([controlPlaneDefault]).Select(t => (t.Key, t.Value ?? "", t.Effect)));

        // Without taints in nodeRegistration: the kubelet's --register-with-taints, else the defaults (a control plane's own).
        const string join = "apiVersion: kubeadm.k8s.io/v1beta3\nkind: JoinConfiguration\n" +
            "discovery:\n  bootstrapToken: {apiServerEndpoint: \"127.60.0.1:6443\", token: abcdef.0123456789abcdef, caCertHashes: [\"sha256:ab\"]}\n" +
            "nodeRegistration:\n  name: w-0\n";
        var flagged = KubeadmSettings.Parse(join + "  kubeletExtraArgs: {register-with-taints: \"a=b:NoExecute,c:NoSchedule\"}\n");
        Assert.Equal(new[] { ("a", "b", "NoExecute"), ("c", "", "NoSchedule") }, flagged.NodeTaints([]).Select(t => (t.Key, t.Value ?? "", t.Effect)));
        Assert.Equal([controlPlaneDefault], KubeadmSettings.Parse(join).NodeTaints([controlPlaneDefault]));
        Assert.Empty(KubeadmSettings.Parse(join + "  taints: []\n").NodeTaints([controlPlaneDefault])); // kubeadm: an explicit empty list means none
    }

    [Fact]
    public void ShellHeader_MasterWritesPkiAndRunsInit_NodeJoinsFromMasterAndToken()
    {
        var master = BootPlan.Parse($"""
            #!/bin/bash
            KUBELET_VERSION='1.20.2'
            TOKEN=''
            PORT='6443'
            MASTER_CA_CERTIFICATE='{B64("CERT")}'
            MASTER_CA_PRIVATE_KEY='{B64("KEY")}'
            ROLE='master'
            KUBEADM_CONFIG='{B64("apiVersion: kubeadm.k8s.io/v1beta2\nkind: InitConfiguration\n")}'
            set -e
            apt-get install -y kubeadm
            """);
        Assert.Empty(master.Problems);
        Assert.Equal("shell", master.Format);
        Assert.Equal("CERT", Encoding.UTF8.GetString(master.Files.Single(f => f.Path == "/etc/kubernetes/pki/ca.crt").Content));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, master.Files.Single(f => f.Path == "/etc/kubernetes/pki/ca.key").Mode);
        Assert.Contains(master.Files, f => f.Path == ShellUserdata.ConfigPath);
        Assert.Equal(KubeadmVerb.Init, Assert.Single(master.Commands).Verb);

        var node = BootPlan.Parse("""
            #!/bin/bash
            MASTER='127.60.0.1:6443'
            TOKEN='abcdef.0123456789abcdef'
            MASTER_CA_CERT_HASH='sha256:00ff'
            ROLE="node"
            NODE_NAME=worker-1
            """);
        Assert.Empty(node.Problems);
        Assert.Equal(KubeadmVerb.Join, Assert.Single(node.Commands).Verb);
        var settings = KubeadmSettings.Parse(Encoding.UTF8.GetString(node.Files.Single(f => f.Path == ShellUserdata.ConfigPath).Content));
        Assert.Equal("127.60.0.1:6443", settings.JoinEndpoint);
        Assert.Equal("abcdef.0123456789abcdef", settings.JoinToken);
        Assert.Equal(["sha256:00ff"], settings.CaCertHashes);
        Assert.Equal("worker-1", settings.NodeName);
    }

    [Theory]
    [InlineData("'it'\\''s'", "it's")]
    [InlineData("\"plain\"", "plain")]
    [InlineData("bare", "bare")]
    [InlineData("\"$(rm -rf /)\"", null)]
    [InlineData("a b", null)]
    public void ShellValues_AreSingleWordsWithoutExpansion(string raw, string? expected) =>
        Assert.Equal(expected, ShellUserdata.Unquote(raw));

    [Fact]
    public void KubeadmConfig_V1beta2InitAndV1beta4Join()
    {
        var init = KubeadmSettings.Parse("""
            apiVersion: kubeadm.k8s.io/v1beta2
            kind: InitConfiguration
            bootstrapTokens:
            - token: abcdef.0123456789abcdef
              ttl: 2h0m0s
              usages: [signing, authentication]
              groups: [system:bootstrappers:kubeadm:default-node-token]
            nodeRegistration:
              name: cp-0
              kubeletExtraArgs: {node-labels: "a=b,c=d", cloud-provider: external}
            ---
            apiVersion: kubeadm.k8s.io/v1beta2
            kind: ClusterConfiguration
            clusterName: demo
            controlPlaneEndpoint: 127.60.0.1:6443
            networking: {serviceSubnet: 10.100.0.0/16, dnsDomain: example.local}
            apiServer: {certSANs: [127.60.0.1, api.example]}
            ---
            apiVersion: kubelet.config.k8s.io/v1beta1
            kind: KubeletConfiguration
            """);
        var token = Assert.Single(init.BootstrapTokens);
        Assert.Equal("abcdef", token.Id);
        Assert.Equal(TimeSpan.FromHours(2), token.Ttl);
        Assert.Equal("abcdef.****", token.ToString()); // the secret never reaches a console line
        Assert.Equal("cp-0", init.NodeName);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "b", ["c"] = "d" }, init.NodeLabels());
        Assert.Equal("demo", init.ClusterName);
        Assert.Equal("127.60.0.1:6443", init.ControlPlaneEndpoint);
        Assert.Equal("10.100.0.0/16", init.ServiceSubnet);
        Assert.Equal(["127.60.0.1", "api.example"], init.CertSans);
        Assert.Equal("10.100.0.1", BootCa.FirstServiceAddress(init.ServiceSubnet).ToString());

        var join = KubeadmSettings.Parse("""
            apiVersion: kubeadm.k8s.io/v1beta4
            kind: JoinConfiguration
            discovery:
              bootstrapToken: {apiServerEndpoint: "127.60.0.1:6443", token: abcdef.0123456789abcdef, caCertHashes: ["sha256:ab"]}
            nodeRegistration:
              name: w-0
              kubeletExtraArgs: [{name: node-labels, value: "role=worker"}]
            """);
        Assert.True(join.HasJoin);
        Assert.Equal("w-0", join.NodeName);
        Assert.Equal(new Dictionary<string, string> { ["role"] = "worker" }, join.NodeLabels());
        Assert.Equal(KubeadmSettings.DefaultDiscoveryTimeout, join.DiscoveryTimeout); // kubeadm's 5 minutes

        // The discovery timeout kubeadm honours: discovery.timeout up to v1beta3, timeouts.discovery in v1beta4.
        const string discovery = "discovery:\n  bootstrapToken: {apiServerEndpoint: \"127.60.0.1:6443\", token: abcdef.0123456789abcdef, caCertHashes: [\"sha256:ab\"]}\n";
        Assert.Equal(TimeSpan.FromMinutes(30), KubeadmSettings.Parse("apiVersion: kubeadm.k8s.io/v1beta2\nkind: JoinConfiguration\n" + discovery + "  timeout: 30m0s\n").DiscoveryTimeout);
        Assert.Equal(TimeSpan.FromMinutes(90), KubeadmSettings.Parse("apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n" + discovery + "timeouts: {discovery: 1h30m}\n").DiscoveryTimeout);
        Assert.Throws<FormatException>(() => KubeadmSettings.Parse("apiVersion: kubeadm.k8s.io/v1beta3\nkind: JoinConfiguration\n" + discovery + "  timeout: soon\n"));

        var e = Assert.Throws<FormatException>(() => KubeadmSettings.Parse("apiVersion: kubeadm.k8s.io/v1alpha3\nkind: InitConfiguration\n"));
        Assert.Contains("v1alpha3", e.Message);
        e = Assert.Throws<FormatException>(() => KubeadmSettings.Parse("apiVersion: kubeadm.k8s.io/v1beta2\nkind: InitConfiguration\nbootstrapTokens: [{token: abcdef.0123456789ABCDEF}]\n"));
        Assert.DoesNotContain("0123456789ABCDEF", e.Message);
    }

    [Fact]
    public void KubeadmFlags_JoinWithoutConfig()
    {
        var plan = BootPlan.Parse("#cloud-config\nruncmd:\n- kubeadm join 127.60.0.1:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:ab --node-name w\n");
        var command = Assert.Single(plan.Commands);
        Assert.Null(command.ConfigPath);
        var settings = KubeadmSettings.FromFlags(command);
        Assert.Equal("127.60.0.1:6443", settings.JoinEndpoint);
        Assert.Equal(["sha256:ab"], settings.CaCertHashes);
        Assert.Equal("w", settings.NodeName);
    }

    [Fact]
    public void MachineRoot_RefusesPathsOutsideTheRoot()
    {
        var dir = Directory.CreateTempSubdirectory("pc-root-").FullName;
        try
        {
            var root = new MachineRoot(Path.Combine(dir, "device"));
            Assert.StartsWith(root.RootDirectory, root.Path("/etc/kubernetes/pki/ca.crt"));
            Assert.Throws<BootException>(() => root.Path("/etc/../../../outside"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Pki_IssuesServingAndClientCertificatesFromAnRsaCa()
    {
        using var ca = BootCa.Generate("test-ca");
        using var loaded = BootCa.Load(ca.CertificatePem, ca.KeyPem);
        var serving = loaded.IssueServing("kube-apiserver", ["kubernetes"], [System.Net.IPAddress.Parse("127.50.0.1")]);
        using var leaf = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(serving.CertificatePem);
        using var root = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(ca.CertificatePem);
        using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
        chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
        Assert.True(chain.Build(leaf));
        Assert.True(leaf.MatchesHostname("127.50.0.1"));

        var client = loaded.IssueClient("system:node:n", ["system:nodes"]);
        using var clientCert = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(client.CertificatePem);
        Assert.Contains("CN=system:node:n", clientCert.Subject);
        Assert.Contains("O=system:nodes", clientCert.Subject);
    }

    [Fact]
    public void ControlPlaneJoin_ReadFromConfigAndFlags_ClusterStateRoundTrips()
    {
        var join = KubeadmSettings.Parse("""
            apiVersion: kubeadm.k8s.io/v1beta2
            kind: JoinConfiguration
            discovery:
              bootstrapToken: {apiServerEndpoint: "127.9.0.1:6443", token: abcdef.0123456789abcdef, caCertHashes: ["sha256:00"]}
            controlPlane:
              localAPIEndpoint: {bindPort: 6443}
            """);
        Assert.True(join.JoinControlPlane);
        var worker = KubeadmSettings.Parse("""
            apiVersion: kubeadm.k8s.io/v1beta2
            kind: JoinConfiguration
            discovery:
              bootstrapToken: {apiServerEndpoint: "127.9.0.1:6443", token: abcdef.0123456789abcdef}
            """);
        Assert.False(worker.JoinControlPlane);
        var flags = BootPlan.ParseKubeadm("kubeadm join 127.9.0.1:6443 --token abcdef.0123456789abcdef --control-plane --node-name cp2".Split(' '))!;
        Assert.True(KubeadmSettings.FromFlags(flags).JoinControlPlane);
        Assert.Equal("cp2", KubeadmSettings.FromFlags(flags).NodeName);

        // What init uploads, join reads back: a hostile cluster name stays a value, never more YAML.
        var init = KubeadmSettings.Parse("""
            apiVersion: kubeadm.k8s.io/v1beta2
            kind: ClusterConfiguration
            clusterName: "evil\nkind: InitConfiguration"
            controlPlaneEndpoint: "127.9.2.1:6443"
            networking: {serviceSubnet: 10.20.0.0/16, dnsDomain: example.local}
            apiServer: {certSANs: [a.example, 127.9.2.1]}
            """);
        join.WithClusterConfiguration(KubeadmClusterState.RenderConfiguration(init));
        Assert.Equal("evil\nkind: InitConfiguration", join.ClusterName);
        Assert.Equal("127.9.2.1:6443", join.ControlPlaneEndpoint);
        Assert.Equal("10.20.0.0/16", join.ServiceSubnet);
        Assert.Equal("example.local", join.DnsDomain);
        Assert.Equal(["a.example", "127.9.2.1"], join.CertSans);

        var status = KubeadmClusterState.RenderStatus([new ControlPlaneEndpoint("cp1", "127.9.0.1", 6443), new ControlPlaneEndpoint("cp2", "127.9.0.3", 6443)]);
        Assert.Equal(["cp1=127.9.0.1:6443", "cp2=127.9.0.3:6443"], KubeadmClusterState.ParseStatus(status).Select(e => $"{e.NodeName}={e.AdvertiseAddress}:{e.BindPort}"));
        Assert.Throws<FormatException>(() => join.WithClusterConfiguration("apiVersion: kubeadm.k8s.io/v1beta2\nkind: JoinConfiguration\ndiscovery: {bootstrapToken: {apiServerEndpoint: a, token: b}}\n"));
    }

    [Fact]
    public void EtcdInitialCluster_NamesUnstartedMembersByTheirPeerAddress()
    {
        var members = new List<EtcdMembership.Member>
        {
            new("cp1", ["https://127.9.0.1:2380"]),
            new("", ["https://127.9.0.3:2380"]),
            new("", ["https://127.9.0.5:2380"]),
        };
        Assert.Equal("cp1=https://127.9.0.1:2380,unstarted-127.9.0.3=https://127.9.0.3:2380,cp3=https://127.9.0.5:2380",
            EtcdMembership.InitialCluster(members, "cp3", "https://127.9.0.5:2380"));
    }
}
