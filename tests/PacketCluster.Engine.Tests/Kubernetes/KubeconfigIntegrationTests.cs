using System.Net;
using k8s;
using k8s.Autorest;
using PacketCluster.Engine.Pki;
using PacketCluster.Engine.Tests.Pki;
using Xunit;

namespace PacketCluster.Engine.Tests.Kubernetes;

[Collection(KubeControlPlaneCollection.Name)]
public sealed class KubeconfigIntegrationTests(KubeControlPlane controlPlane)
{
    [Fact]
    public async Task Admin_kubeconfig_from_the_engine_ca_lists_namespaces_with_KubernetesClient()
    {
        using var client = controlPlane.CreateClient();

        var namespaces = await client.CoreV1.ListNamespaceAsync();

        Assert.Contains(namespaces.Items, ns => ns.Metadata.Name == "kube-system");
    }

    [Fact]
    public void Admin_kubeconfig_from_the_engine_ca_works_with_kubectl()
    {
        using var scratch = new TempDirectory("kubectl");

        var result = ExternalCommand.Run(
            "/usr/bin/kubectl",
            ["--kubeconfig", controlPlane.KubeconfigPath, "--cache-dir", Path.Combine(scratch.Path, "cache"), "get", "ns", "-o", "name"],
            scratch.Path);

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Contains("namespace/kube-system", result.StandardOutput.Split('\n'));
    }

    [Fact]
    public async Task Freshly_minted_admin_kubeconfig_works_too()
    {
        using var scratch = new TempDirectory("kubeconfig");
        var path = scratch.Write("admin.conf", AdminKubeconfig.Create("another-name", controlPlane.Server, controlPlane.Pki.ClusterCa));
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));

        var version = await client.Version.GetCodeAsync();

        Assert.Equal("v1.20.2", version.GitVersion);
    }

    [Fact]
    public async Task Certificate_without_system_masters_is_authenticated_but_may_not_list_secrets()
    {
        using var someone = controlPlane.CreateClient("someone", []);

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => someone.CoreV1.ListNamespacedSecretAsync("kube-system"));

        Assert.Equal(HttpStatusCode.Forbidden, error.Response.StatusCode);
        Assert.StartsWith("secrets is forbidden: User \"someone\" cannot list resource \"secrets\"", KubeStatus.Message(error.Response.Content));
    }

    [Fact]
    public async Task Certificate_from_another_ca_is_not_authenticated()
    {
        var stranger = CertificateAuthority.Generate("stranger");
        using var scratch = new TempDirectory("kubeconfig");
        var certificate = stranger.IssueClientCertificate("kubernetes-admin", ["system:masters"]);
        // Trust the real server CA, present a client certificate from a CA the apiserver does not know.
        var path = scratch.Write("stranger.conf",
            AdminKubeconfig.Create(KubeControlPlane.ClusterName, controlPlane.Server, controlPlane.Pki.ClusterCa.CertificatePem, "kubernetes-admin", certificate));
        using var client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));

        var error = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespaceAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, error.Response.StatusCode);
    }

}
