using k8s;
using k8s.KubeConfigModels;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Pki;
using Xunit;

namespace PacketCluster.Engine.Tests.Operations;

public class KubeconfigFileTests
{
    private static readonly Lazy<CertificateAuthority> Ca = new(() => CertificateAuthority.Generate("merge-test"));

    private static string Admin(string cluster, string host) => AdminKubeconfig.Create(cluster, $"https://{host}:6443", Ca.Value);

    [Fact]
    public void Merging_two_clusters_keeps_both_with_their_own_users()
    {
        var merged = KubeconfigFile.Merge(KubeconfigFile.Merge(null, Admin("east", "192.0.2.1")), Admin("west", "192.0.2.2"));
        var config = KubernetesYaml.Deserialize<K8SConfiguration>(merged);

        Assert.Equal(new[] { "east", "west" }, config.Clusters.Select(c => c.Name));
        Assert.Equal(new[] { "kubernetes-admin@east", "kubernetes-admin@west" }, config.Users.Select(u => u.Name));
        Assert.Equal("kubernetes-admin@west", config.CurrentContext);
        var east = config.Contexts.Single(c => c.Name == "kubernetes-admin@east");
        Assert.Equal("kubernetes-admin@east", east.ContextDetails.User);
        Assert.Equal("east", east.ContextDetails.Cluster);
        Assert.NotEqual(config.Users.First().UserCredentials.ClientCertificateData, config.Users.Last().UserCredentials.ClientCertificateData);
    }

    [Fact]
    public void Merging_again_replaces_the_entries_of_that_cluster_only()
    {
        var first = KubeconfigFile.Merge(KubeconfigFile.Merge(null, Admin("east", "192.0.2.1")), Admin("west", "192.0.2.2"));
        var again = KubernetesYaml.Deserialize<K8SConfiguration>(KubeconfigFile.Merge(first, Admin("east", "198.51.100.9")));
        Assert.Equal(2, again.Clusters.Count());
        Assert.Equal("https://198.51.100.9:6443", again.Clusters.Single(c => c.Name == "east").ClusterEndpoint.Server);
        Assert.Equal("https://192.0.2.2:6443", again.Clusters.Single(c => c.Name == "west").ClusterEndpoint.Server);
        Assert.Equal(2, again.Users.Count());
        Assert.Equal("kubernetes-admin@east", again.CurrentContext);
    }

    [Fact]
    public async Task Foreign_entries_survive_and_the_file_is_owner_only()
    {
        var dir = Directory.CreateTempSubdirectory("pc-kubeconfig-").FullName;
        var path = Path.Combine(dir, "nested", "config");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, """
            apiVersion: v1
            kind: Config
            clusters:
            - name: other
              cluster: {server: "https://192.0.2.50:443"}
            users:
            - name: other-user
              user: {token: abc}
            contexts:
            - name: other
              context: {cluster: other, user: other-user}
            current-context: other
            """);
        await KubeconfigFile.MergeIntoAsync(path, Admin("demo", "192.0.2.3"), default);

        var config = KubernetesClientConfiguration.LoadKubeConfig(path);
        Assert.Contains(config.Clusters, c => c.Name == "other");
        Assert.Contains(config.Users, u => u.Name == "other-user" && u.UserCredentials.Token == "abc");
        Assert.Equal("kubernetes-admin@demo", config.CurrentContext);
        Assert.Equal("https://192.0.2.3:6443", KubernetesClientConfiguration.BuildConfigFromConfigObject(config).Host.TrimEnd('/'));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Fact]
    public void A_broken_existing_file_is_reported_without_quoting_it()
    {
        var ex = Assert.Throws<PacketClusterException>(() => KubeconfigFile.Merge("clusters: [ {name: x, secret-ish: SHOULD-NOT-LEAK", Admin("d", "192.0.2.4")));
        Assert.Equal("KubeconfigInvalid", ex.ErrorId);
        Assert.DoesNotContain("SHOULD-NOT-LEAK", ex.Message);
    }
}
