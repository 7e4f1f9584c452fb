using System.Diagnostics;
using System.Text;
using k8s;
using PacketCluster.Engine.Pki;
using Xunit;
using YamlDotNet.RepresentationModel;

namespace PacketCluster.Engine.Tests.Pki;

public sealed class AdminKubeconfigTests : IDisposable
{
    private const string Server = "https://203.0.113.10:6443";
    private static readonly Lazy<CertificateAuthority> SharedCa = new(() => CertificateAuthority.Generate("prod-east"));

    private readonly OpenSsl _openssl = new();

    public void Dispose() => _openssl.Dispose();

    [Fact]
    public void Kubeconfig_has_kubeadm_names_and_embedded_ca()
    {
        var yaml = AdminKubeconfig.Create("prod-east", Server, SharedCa.Value);
        var root = (YamlMappingNode)Load(yaml);

        Assert.Equal("v1", Scalar(root, "apiVersion"));
        Assert.Equal("Config", Scalar(root, "kind"));
        Assert.Equal("kubernetes-admin@prod-east", Scalar(root, "current-context"));
        var cluster = Single(root, "clusters");
        Assert.Equal("prod-east", Scalar(cluster, "name"));
        Assert.Equal(Server, Scalar(Child(cluster, "cluster"), "server"));
        Assert.Equal(SharedCa.Value.CertificatePem, Decode(Scalar(Child(cluster, "cluster"), "certificate-authority-data")));
        var user = Single(root, "users");
        Assert.Equal("kubernetes-admin", Scalar(user, "name"));
        var context = Single(root, "contexts");
        Assert.Equal("kubernetes-admin@prod-east", Scalar(context, "name"));
        Assert.Equal("prod-east", Scalar(Child(context, "context"), "cluster"));
        Assert.Equal("kubernetes-admin", Scalar(Child(context, "context"), "user"));
    }

    [Fact]
    public void Embedded_client_certificate_is_kubernetes_admin_in_system_masters_signed_by_the_ca()
    {
        var yaml = AdminKubeconfig.Create("prod-east", Server, SharedCa.Value);
        var credentials = Child(Single((YamlMappingNode)Load(yaml), "users"), "user");
        _openssl.Write("ca.crt", SharedCa.Value.CertificatePem);
        _openssl.Write("admin.crt", Decode(Scalar(credentials, "client-certificate-data")));
        _openssl.Write("admin.key", Decode(Scalar(credentials, "client-key-data")));

        Assert.Equal("subject=O = system:masters, CN = kubernetes-admin", _openssl.Subject("admin.crt"));
        _openssl.RunOk("verify", "-CAfile", "ca.crt", "-purpose", "sslclient", "admin.crt");
        Assert.Equal(
            _openssl.RunOk("x509", "-noout", "-pubkey", "-in", "admin.crt"),
            _openssl.RunOk("pkey", "-pubout", "-in", "admin.key"));
    }

    [Fact]
    public void KubernetesClient_reads_it_back()
    {
        var path = _openssl.Write("admin.conf", AdminKubeconfig.Create("prod-east", Server, SharedCa.Value));

        var configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(path);

        Assert.Equal(Server, configuration.Host.TrimEnd('/'));
        Assert.Equal("kubernetes-admin@prod-east", configuration.CurrentContext);
        Assert.NotNull(configuration.ClientCertificateData);
        Assert.NotNull(configuration.ClientCertificateKeyData);
        Assert.Single(configuration.SslCaCerts!);
    }

    [Fact]
    public void Overload_for_another_user_uses_its_certificate_and_name()
    {
        var controllerManager = SharedCa.Value.IssueClientCertificate("system:kube-controller-manager", []);

        var yaml = AdminKubeconfig.Create("prod-east", Server, SharedCa.Value.CertificatePem, "system:kube-controller-manager", controllerManager);
        var root = (YamlMappingNode)Load(yaml);

        Assert.Equal("system:kube-controller-manager@prod-east", Scalar(root, "current-context"));
        Assert.Equal(controllerManager.CertificatePem, Decode(Scalar(Child(Single(root, "users"), "user"), "client-certificate-data")));
    }

    [Fact]
    public void Plain_http_server_is_refused()
    {
        Assert.Throws<ArgumentException>(() => AdminKubeconfig.Create("c", "http://203.0.113.10:6443", SharedCa.Value));
    }

    [Fact]
    public void Warm_minting_takes_at_most_100_ms()
    {
        var ca = SharedCa.Value;
        AdminKubeconfig.Create("warm-up", Server, ca);

        var timings = Enumerable.Range(0, 7).Select(_ =>
        {
            var stopwatch = Stopwatch.StartNew();
            AdminKubeconfig.Create("prod-east", Server, ca);
            return stopwatch.Elapsed;
        }).Order().ToList();

        Assert.True(timings[3] <= TimeSpan.FromMilliseconds(100), $"median {timings[3].TotalMilliseconds:F1} ms");
    }

    private static YamlNode Load(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Single().RootNode;
    }

    private static YamlMappingNode Child(YamlNode node, string key) => (YamlMappingNode)((YamlMappingNode)node)[key];

    private static YamlMappingNode Single(YamlMappingNode node, string key) => (YamlMappingNode)((YamlSequenceNode)node[key]).Single();

    private static string Scalar(YamlNode node, string key) => ((YamlScalarNode)((YamlMappingNode)node)[key]).Value!;

    private static string Decode(string base64) => Encoding.ASCII.GetString(Convert.FromBase64String(base64));
}
