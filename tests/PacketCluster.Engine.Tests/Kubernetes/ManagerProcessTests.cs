using k8s;
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;
using PacketCluster.Engine.Tests.Manifests;
using PacketCluster.Engine.Tests.Pki;
using PacketCluster.Models.ClusterApi;
using PacketCluster.Simulator.Config;
using PacketCluster.Simulator.Hosting;
using Xunit;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>The manager process as the Deployment runs it: flags, environment, health/readiness/metrics, leader election, SIGTERM.</summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class ManagerProcessTests(KubeControlPlane controlPlane)
{
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    /// <summary>The leading gauge's sample line (its # HELP text mentions "leading 1" too).</summary>
    private static bool IsLeading(string metrics) =>
        metrics.Split('\n').Any(line => line.Trim() == "packetcluster_manager_leading 1");

    [Fact]
    public async Task Serves_health_readiness_and_metrics_takes_the_lease_and_stops_on_sigterm()
    {
        new Kubectl(controlPlane).EnsureCustomResourceDefinitions();
        await using var simulator = await SimulatorHost.StartAsync(new SimulatorOptions { Seed = 3, Config = new SimulatorConfig { Boot = new BootConfig { Enabled = false } } });
        using var manager = new ManagerProcess(controlPlane, simulator, "manager-under-test", "kube-system");
        var http = manager.Metrics;
        using var admin = controlPlane.CreateClient();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string metrics = "", holder = "";
        // Leading by its own account and by the Lease at the same time (polled: the two are read one after the other).
        while (!(IsLeading(metrics) && holder == manager.Identity))
        {
            Assert.True(DateTime.UtcNow < deadline, $"the manager did not lead within 60 s; Lease holder '{holder}'; metrics: {metrics}");
            Assert.False(manager.Process.HasExited, "the manager exited");
            await Task.Delay(300);
            try
            {
                metrics = await http.GetStringAsync("metrics");
                holder = (await admin.CoordinationV1.ReadNamespacedLeaseAsync("packetcluster-manager", "kube-system")).Spec.HolderIdentity;
            }
            catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException) { }
        }
        Assert.Equal("ok", await manager.Health.GetStringAsync("healthz"));
        // Ready either way (a follower stands by).
        Assert.StartsWith("ok: ", await manager.Health.GetStringAsync("readyz"));
        // Each address serves its own: the probes for the kubelet, /metrics (unauthenticated) on its own, loopback by default.
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await manager.Health.GetAsync("metrics")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("healthz")).StatusCode);
        Assert.Contains("process_resident_memory_bytes", metrics);
        Assert.Contains("packetcluster_manager_store_writes_total", metrics);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync("debug/pprof")).StatusCode);

        Assert.Equal(0, kill(manager.Process.Id, 15)); // SIGTERM, as the kubelet stops a pod
        Assert.True(manager.Process.WaitForExit(TimeSpan.FromSeconds(20)), "the manager did not stop within 20 s of SIGTERM");
        manager.Process.WaitForExit(); // drains the redirected output
        Assert.Equal(0, manager.Process.ExitCode);
        Assert.DoesNotContain(simulator.ApiKey, manager.Output);
    }

    /// <summary>A manager process as the Deployment starts it, with its own health/metrics port and identity.</summary>
    private sealed class ManagerProcess : IDisposable
    {
        public ManagerProcess(KubeControlPlane controlPlane, SimulatorHost simulator, string identity, string leaseNamespace)
        {
            Identity = identity;
            var healthPort = LoopbackPort.PickFree();
            var metricsPort = LoopbackPort.PickFree();
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[]
                     {
                         Path.Combine(AppContext.BaseDirectory, "PacketCluster.Manager.dll"), $"--kubeconfig={controlPlane.KubeconfigPath}", "--leader-elect",
                         $"--lease-namespace={leaseNamespace}", $"--health-addr=127.0.0.1:{healthPort}", $"--metrics-addr=127.0.0.1:{metricsPort}", $"--identity={identity}",
                     })
                start.ArgumentList.Add(a);
            start.Environment["PACKET_API_KEY"] = simulator.ApiKey;
            start.Environment["PACKET_PROJECT_ID"] = simulator.ProjectId;
            start.Environment["PACKET_API_URL"] = simulator.BaseUrl.ToString();
            Process = Process.Start(start)!;
            // Drained so a chatty manager never blocks on a full pipe; kept for the failure message.
            Process.OutputDataReceived += (_, e) => { if (e.Data is { } line) lock (_output) _output.AppendLine(line); };
            Process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) lock (_output) _output.AppendLine(line); };
            Process.BeginOutputReadLine();
            Process.BeginErrorReadLine();
            Health = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{healthPort}/"), Timeout = TimeSpan.FromSeconds(5) };
            Metrics = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{metricsPort}/"), Timeout = TimeSpan.FromSeconds(5) };
        }

        private readonly System.Text.StringBuilder _output = new();

        public string Identity { get; }
        public Process Process { get; }

        /// <summary>Its /healthz and /readyz (--health-addr).</summary>
        public HttpClient Health { get; }

        /// <summary>Its /metrics (--metrics-addr).</summary>
        public HttpClient Metrics { get; }

        public string Output { get { lock (_output) return _output.ToString(); } }

        public async Task<bool> LeadingAsync()
        {
            try { return IsLeading(await Metrics.GetStringAsync("metrics")); }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return false; }
        }

        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            if (!Process.HasExited) Process.Kill(entireProcessTree: true);
            Process.WaitForExit(10_000);
            Process.Dispose();
            Health.Dispose();
            Metrics.Dispose();
        }
    }

    [Fact]
    public async Task Of_two_manager_processes_one_reconciles_and_the_other_takes_over_when_it_is_killed_without_duplicate_devices()
    {
        new Kubectl(controlPlane).EnsureCustomResourceDefinitions();
        await using var provisioning = await ProvisioningSimulator.StartAsync(seed: 4);
        var simulator = provisioning.Host;
        var session = provisioning.Session;
        var name = $"ha{Guid.NewGuid():N}"[..10];
        using var state = new TempDirectory("ha");
        var config = provisioning.Definition(name, workers: 1);
        await ClusterOperations.CreateAsync(new CreateClusterRequest
        {
            Config = config, StateRoot = state.Path, Wait = new ChangeWait(true, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100)),
        }, session, NullEngineLog.Instance, default);
        using var store = new KubernetesStore(controlPlane.CreateClient(), ownsClient: true);
        await using (var source = FileStore.Open(Path.Combine(state.Path, name)))
            await PivotOperation.RunAsync(source, ClusterOperations.DefaultNamespace, name, store, null, NullEngineLog.Instance, default);
        var selector = new Dictionary<string, string> { [PacketCluster.Engine.Api.ClusterValidation.ClusterNameLabel] = name };
        Task<IReadOnlyList<Device>> DevicesAsync() => provisioning.DevicesAsync(name);
        async Task ScaleAsync(int replicas)
        {
            // A client's read-modify-write, retried on a conflict as kubectl's edits are: the running manager writes the
            // deployment's status between our read and our write.
            for (var attempt = 1; ; attempt++)
            {
                var deployment = (await store.ListAsync<MachineDeployment>(ClusterOperations.DefaultNamespace, selector, default)).Single();
                deployment.Spec.Replicas = replicas;
                try
                {
                    await store.UpdateAsync(deployment, default);
                    return;
                }
                catch (StoreConflictException) when (attempt < 5)
                {
                }
            }
        }
        async Task WaitForAsync(Func<Task<bool>> condition, string what, int seconds = 60, Func<string>? describe = null)
        {
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(seconds);
            while (!await condition())
            {
                Assert.True(DateTime.UtcNow < deadline, $"not within {seconds} s: {what}. {describe?.Invoke()}");
                await Task.Delay(200);
            }
        }

        var leaseNamespace = $"ha-{Guid.NewGuid():N}"[..12];
        using var admin = controlPlane.CreateClient();
        async Task<string?> HolderAsync()
        {
            try { return (await admin.CoordinationV1.ReadNamespacedLeaseAsync("packetcluster-manager", leaseNamespace)).Spec.HolderIdentity; }
            catch (k8s.Autorest.HttpOperationException) { return null; }
        }
        using var a = new ManagerProcess(controlPlane, simulator, "manager-a", leaseNamespace);
        using var b = new ManagerProcess(controlPlane, simulator, "manager-b", leaseNamespace);
        try
        {
            ManagerProcess leader = null!, follower = null!;
            await WaitForAsync(async () =>
            {
                var holder = await HolderAsync();
                (leader, follower) = holder == a.Identity ? (a, b) : (b, a);
                return holder is not null && await leader.LeadingAsync() && !await follower.LeadingAsync();
            }, "one manager leads and the other stands by", describe: () => $"{a.Identity}:\n{a.Output}\n{b.Identity}:\n{b.Output}");

            // The leader reconciles: scale to 3 workers.
            await ScaleAsync(3);
            await WaitForAsync(async () => (await DevicesAsync()).Count(d => d.State == "active") == 4, "4 active devices");
            Assert.False(await follower.LeadingAsync());
            // Passes per cluster (the bench checks each cluster had one after a restart): the leader's, none by the follower.
            var perCluster = $"packetcluster_manager_cluster_reconcile_passes_total{{cluster=\"{name}\"}} ";
            Assert.Contains((await leader.Metrics.GetStringAsync("metrics")).Split('\n'), line => line.StartsWith(perCluster, StringComparison.Ordinal) && double.Parse(line[perCluster.Length..], System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.DoesNotContain(perCluster, await follower.Metrics.GetStringAsync("metrics"));

            // Killed outright (no Lease release): the follower takes over once the Lease has gone unrenewed for its duration.
            var killed = Stopwatch.StartNew();
            Assert.Equal(0, kill(leader.Process.Id, 9));
            await WaitForAsync(async () => await HolderAsync() == follower.Identity && await follower.LeadingAsync(), "the follower leads", 40);
            var takeover = killed.Elapsed;
            Console.WriteLine($"manager failover: {follower.Identity} leads {takeover.TotalSeconds:0.0} s after {leader.Identity} was killed (lease 15 s)");
            Assert.True(takeover < new ManagerOptions().LeaseDuration + TimeSpan.FromSeconds(5), $"takeover took {takeover}");

            // The new leader keeps the cluster, adopting what exists: scale down to 1 and converge with no duplicate.
            await ScaleAsync(1);
            await WaitForAsync(async () => (await DevicesAsync()).Count == 2, "back to 2 devices");
            var machines = await store.ListAsync<Machine>(ClusterOperations.DefaultNamespace, selector, default);
            await WaitForAsync(async () => (await store.ListAsync<Machine>(ClusterOperations.DefaultNamespace, selector, default)).Count == 2, "2 machines");
            machines = await store.ListAsync<Machine>(ClusterOperations.DefaultNamespace, selector, default);
            Assert.Equal(machines.Select(m => m.Spec.ProviderID).Order(), (await DevicesAsync()).Select(d => $"packet://{d.Id}").Order());
        }
        finally
        {
            // Both stopped first, so neither replaces what the cleanup deletes.
            a.Dispose();
            b.Dispose();
            await ClusterOperations.DeleteAsync(name, state.Path, session, NullEngineLog.Instance, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200), default);
            await PivotOperation.ForgetAsync(store, ClusterOperations.DefaultNamespace, name, default);
            await admin.CoreV1.DeleteNamespaceAsync(leaseNamespace);
        }
    }
}
