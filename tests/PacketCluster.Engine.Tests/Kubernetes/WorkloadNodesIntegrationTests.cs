using k8s;
using k8s.Models;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Store;
using PacketCluster.Engine.Tests.Pki;
using PacketCluster.Engine.Workload;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>The engine reads a workload cluster's Nodes with a credential minted from the CA in its own state store.</summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class WorkloadNodesIntegrationTests(KubeControlPlane controlPlane)
{
    [Fact]
    public async Task Nodes_are_listed_with_providerID_and_readiness_through_the_stored_endpoint_and_ca()
    {
        using var scratch = new TempDirectory("nodes");
        await using var store = FileStore.Open(Path.Combine(scratch.Path, "state"));
        await StoreClusterAsync(store, new Uri(controlPlane.Server));
        using var admin = controlPlane.CreateClient();
        var ready = await CreateNodeAsync(admin, "link-ready", "packet://dev-ready", ready: true);
        await CreateNodeAsync(admin, "link-booting", "packet://dev-booting", ready: false);
        try
        {
            using var source = new KubernetesWorkloadCluster(store);
            var nodes = await source.ListNodesAsync("default", KubeControlPlane.ClusterName, default);

            var linked = Assert.Single(nodes, n => n.ProviderId == "packet://dev-ready");
            Assert.Equal(("link-ready", ready.Metadata.Uid, true), (linked.Name, linked.Uid, linked.Ready));
            Assert.False(Assert.Single(nodes, n => n.ProviderId == "packet://dev-booting").Ready);
        }
        finally
        {
            await admin.CoreV1.DeleteNodeAsync("link-ready");
            await admin.CoreV1.DeleteNodeAsync("link-booting");
        }
    }

    [Fact]
    public async Task Drain_cordons_the_node_and_evicts_its_pods_but_not_daemonset_or_other_nodes_pods()
    {
        using var scratch = new TempDirectory("drain");
        await using var store = FileStore.Open(Path.Combine(scratch.Path, "state"));
        await StoreClusterAsync(store, new Uri(controlPlane.Server));
        using var admin = controlPlane.CreateClient();
        await CreateNodeAsync(admin, "drain-me", "packet://dev-drain", ready: true);
        await CreateNodeAsync(admin, "keep-me", "packet://dev-keep", ready: true);
        const string ns = "default";
        V1Pod Pod(string name, string node, V1OwnerReference? owner = null) => new()
        {
            Metadata = new V1ObjectMeta { Name = name, OwnerReferences = owner is null ? null : [owner] },
            Spec = new V1PodSpec { NodeName = node, Containers = [new V1Container { Name = "c", Image = "nginx" }] },
        };
        // A real owner (the garbage collector removes pods of a missing one); its selector matches no node, so it makes no pods itself.
        var ds = await admin.AppsV1.CreateNamespacedDaemonSetAsync(new V1DaemonSet
        {
            Metadata = new V1ObjectMeta { Name = "drain-ds" },
            Spec = new V1DaemonSetSpec
            {
                Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "drain-ds" } },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "drain-ds" } },
                    Spec = new V1PodSpec { NodeSelector = new Dictionary<string, string> { ["no-such-label"] = "x" }, Containers = [new V1Container { Name = "c", Image = "nginx" }] },
                },
            },
        }, "default");
        var daemonSet = new V1OwnerReference { ApiVersion = "apps/v1", Kind = "DaemonSet", Name = ds.Metadata.Name, Uid = ds.Metadata.Uid };
        await admin.CoreV1.CreateNamespacedPodAsync(Pod("drain-app", "drain-me"), ns);
        await admin.CoreV1.CreateNamespacedPodAsync(Pod("drain-ds", "drain-me", daemonSet), ns);
        await admin.CoreV1.CreateNamespacedPodAsync(Pod("keep-app", "keep-me"), ns);
        try
        {
            using var source = new KubernetesWorkloadCluster(store);

            Assert.Equal(1, await source.DrainNodeAsync(ns, KubeControlPlane.ClusterName, "drain-me", default));

            Assert.True((await admin.CoreV1.ReadNodeAsync("drain-me")).Spec.Unschedulable);
            Assert.NotEqual(true, (await admin.CoreV1.ReadNodeAsync("keep-me")).Spec.Unschedulable);
            // Evicted: terminating (no kubelet here confirms it), which counts as gone on the next pass.
            Assert.NotNull((await admin.CoreV1.ReadNamespacedPodAsync("drain-app", ns)).Metadata.DeletionTimestamp);
            Assert.Null((await admin.CoreV1.ReadNamespacedPodAsync("drain-ds", ns)).Metadata.DeletionTimestamp);
            Assert.Null((await admin.CoreV1.ReadNamespacedPodAsync("keep-app", ns)).Metadata.DeletionTimestamp);
            Assert.Equal(0, await source.DrainNodeAsync(ns, KubeControlPlane.ClusterName, "drain-me", default));
            Assert.Equal(0, await source.DrainNodeAsync(ns, KubeControlPlane.ClusterName, "gone-already", default));
        }
        finally
        {
            foreach (var pod in new[] { "drain-app", "drain-ds", "keep-app" })
                await admin.CoreV1.DeleteNamespacedPodAsync(pod, ns, new V1DeleteOptions { GracePeriodSeconds = 0 });
            await admin.AppsV1.DeleteNamespacedDaemonSetAsync("drain-ds", ns);
            await admin.CoreV1.DeleteNodeAsync("drain-me");
            await admin.CoreV1.DeleteNodeAsync("keep-me");
        }
    }

    [Fact]
    public async Task An_endpoint_nobody_listens_on_is_reported_as_unavailable_not_thrown_raw()
    {
        await using var cluster = await UnreachableClusterAsync();

        var e = await Assert.ThrowsAsync<WorkloadClusterUnavailableException>(() => cluster.Source.ListNodesAsync("default", KubeControlPlane.ClusterName, default));

        Assert.Contains("ConnectionRefused", e.Message);
    }

    [Fact]
    public async Task An_unreachable_cluster_is_described_alike_on_the_failing_call_and_during_its_backoff()
    {
        await using var cluster = await UnreachableClusterAsync();
        var inventory = new NodeInventory(cluster.Source);

        var failed = await Assert.ThrowsAsync<WorkloadClusterUnavailableException>(() => inventory.NodesAsync("default", KubeControlPlane.ClusterName, default));
        var backingOff = await Assert.ThrowsAsync<WorkloadClusterUnavailableException>(() => inventory.NodesAsync("default", KubeControlPlane.ClusterName, default));

        // A message that changes between passes is a Machine status write per pass (and a watch event that wakes the manager).
        Assert.Equal(failed.Message, backingOff.Message);
        Assert.Contains("ConnectionRefused", failed.Message);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(failed.Message, "is not available yet"));
    }

    /// <summary>A cluster stored with an endpoint nobody listens on (loopback, a free port).</summary>
    private async Task<UnreachableCluster> UnreachableClusterAsync()
    {
        var scratch = new TempDirectory("nodes");
        var store = FileStore.Open(Path.Combine(scratch.Path, "state"));
        await StoreClusterAsync(store, new Uri($"https://127.0.0.1:{LoopbackPort.PickFree()}"));
        return new UnreachableCluster(scratch, store);
    }

    private sealed class UnreachableCluster(TempDirectory scratch, FileStore store) : IAsyncDisposable
    {
        public KubernetesWorkloadCluster Source { get; } = new(store);

        public async ValueTask DisposeAsync()
        {
            Source.Dispose();
            await store.DisposeAsync();
            scratch.Dispose();
        }
    }

    private async Task StoreClusterAsync(FileStore store, Uri server)
    {
        var cluster = await store.CreateAsync(new Cluster { Metadata = new ObjectMeta { Name = KubeControlPlane.ClusterName, Namespace = "default" } }, default);
        cluster.Status = new ClusterStatus { ApiEndpoints = [new ApiEndpoint { Host = server.Host, Port = server.Port }] };
        await store.UpdateStatusAsync(cluster, default);
        var pki = controlPlane.Pki;
        var name = KubeControlPlane.ClusterName;
        await store.CreateSecretAsync(ClusterSecrets.CaSecret(ClusterSecrets.ClusterCa(name), cluster, pki.ClusterCa), default);
        await store.CreateSecretAsync(ClusterSecrets.CaSecret(ClusterSecrets.EtcdCa(name), cluster, pki.EtcdCa), default);
        await store.CreateSecretAsync(ClusterSecrets.CaSecret(ClusterSecrets.FrontProxyCa(name), cluster, pki.FrontProxyCa), default);
        await store.CreateSecretAsync(ClusterSecrets.ServiceAccountSecret(ClusterSecrets.ServiceAccount(name), cluster, pki.ServiceAccount), default);
    }

    private static async Task<V1Node> CreateNodeAsync(IKubernetes admin, string name, string providerId, bool ready)
    {
        var node = await admin.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = name }, Spec = new V1NodeSpec { ProviderID = providerId } });
        node.Status = new V1NodeStatus { Conditions = [new V1NodeCondition { Type = "Ready", Status = ready ? "True" : "False", Reason = ready ? "KubeletReady" : "KubeletNotReady" }] };
        return await admin.CoreV1.ReplaceNodeStatusAsync(node, name);
    }
}
