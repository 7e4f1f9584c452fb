using k8s;
using k8s.Models;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;
using PacketCluster.Engine.Tests.Manifests;
using Xunit;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>Two managers on one real API server: one holds the Lease and reconciles; when it stops, the other takes over.</summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class ClusterManagerLeaderElectionTests(KubeControlPlane controlPlane) : IAsyncLifetime
{
    private readonly string _ns = $"mgr-{Guid.NewGuid():N}"[..16];
    private readonly IKubernetes _admin = controlPlane.CreateClient();

    public async Task InitializeAsync()
    {
        new Kubectl(controlPlane).EnsureCustomResourceDefinitions();
        await _admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = _ns } });
    }

    public async Task DisposeAsync()
    {
        await _admin.CoreV1.DeleteNamespaceAsync(_ns);
        _admin.Dispose();
    }

    private (ClusterManager Manager, KubernetesStore Store) NewManager(string identity)
    {
        var store = new KubernetesStore(controlPlane.CreateClient(), ownsClient: true);
        // No cluster lives in the namespace, so the Packet API (a closed loopback port) is never called.
        var session = new PacketSession(new PacketApiOptions { Endpoint = new Uri("http://127.0.0.1:9/"), ApiKey = "unused", ProjectId = "p" }, "test");
        return (new ClusterManager(store, session, NullEngineLog.Instance, new ManagerOptions
        {
            Namespace = _ns, LeaseNamespace = _ns, Identity = identity,
            LeaseDuration = TimeSpan.FromSeconds(4), RenewDeadline = TimeSpan.FromSeconds(3), RetryPeriod = TimeSpan.FromMilliseconds(500),
        }), store);
    }

    [Fact]
    public async Task One_manager_leads_and_the_other_takes_over_within_the_lease_duration()
    {
        var (a, storeA) = NewManager("manager-a");
        var (b, storeB) = NewManager("manager-b");
        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var runA = a.RunAsync(stopA.Token);
        var runB = b.RunAsync(stopB.Token);
        try
        {
            await WaitUntilAsync(() => a.IsLeading || b.IsLeading, TimeSpan.FromSeconds(30));
            // Never both: sample for a couple of renewals.
            for (var i = 0; i < 20; i++)
            {
                Assert.False(a.IsLeading && b.IsLeading, "both managers lead at once");
                await Task.Delay(100);
            }
            var (leader, follower, stopLeader, leaderName) = a.IsLeading ? (a, b, stopA, "manager-a") : (b, a, stopB, "manager-b");
            var lease = await _admin.CoordinationV1.ReadNamespacedLeaseAsync("packetcluster-manager", _ns);
            Assert.Equal(leaderName, lease.Spec.HolderIdentity);

            // The leader dies without releasing the Lease (as a killed process would): the other takes over once it expires.
            stopLeader.Cancel();
            var takeover = System.Diagnostics.Stopwatch.StartNew();
            await WaitUntilAsync(() => follower.IsLeading, TimeSpan.FromSeconds(20));
            Assert.True(takeover.Elapsed < TimeSpan.FromSeconds(4 + 3), $"takeover took {takeover.Elapsed.TotalSeconds:F1} s for a 4 s lease");
            Assert.False(leader.IsLeading);
            Assert.NotEqual(leaderName, (await _admin.CoordinationV1.ReadNamespacedLeaseAsync("packetcluster-manager", _ns)).Spec.HolderIdentity);
        }
        finally
        {
            stopA.Cancel();
            stopB.Cancel();
            await Task.WhenAll(runA, runB).WaitAsync(TimeSpan.FromSeconds(30));
            storeA.Dispose();
            storeB.Dispose();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within {timeout.TotalSeconds:0} s");
            await Task.Delay(100);
        }
    }
}
