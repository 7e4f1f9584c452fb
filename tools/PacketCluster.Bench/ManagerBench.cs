using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PacketCluster.Engine;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Manifests;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Simulation;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Bench;

/// <summary>
/// The manager at scale (PRODUCT.md §10): 10 clusters × 100 machines kept by one ClusterManager whose objects live in
/// a real kube-apiserver — a management cluster the simulator boots — against a second simulator with booting off.
/// Prints resident memory at steady state (target ≤ 200 MB), Packet API requests per minute at steady state, the
/// time to converge after a manager restart (nothing may be created), and the pivot time for those objects into a
/// second booted cluster.
/// </summary>
internal static class ManagerBench
{
    private const double MemoryTargetMb = 200;

    /// <summary>
    /// One metro per cluster: the simulator's catalogue has 100 to 400 c3.small.x86 servers per metro, so 1000 machines
    /// in one metro run out of capacity, and the refused creates then only churn replacement Machines.
    /// </summary>
    private static readonly string[] Metros = ["sv", "ny", "da", "am", "sg", "fr", "ld", "ty", "ch", "dc"];
    private const string SshKey = ClusterBench.SshKey;

    /// <param name="clusters">10 by default (the target's scale); smaller runs help diagnose.</param>
    /// <param name="workersPerCluster">99 by default: with the control plane, 100 machines per cluster.</param>
    public static async Task RunAsync(string simulatorPath, int clusters = 10, int workersPerCluster = 99)
    {
        var work = Directory.CreateTempSubdirectory("pc-manager-bench-").FullName;
        var launched = new List<int>();
        try
        {
            var boot = await StartSimulatorAsync(simulatorPath, work, "boot", "boot: {enabled: true}", launched);
            var plain = await StartSimulatorAsync(simulatorPath, work, "plain", "boot: {enabled: false}", launched);
            var mgmtSession = Session(boot);
            var session = Session(plain);

            // Two management clusters with real API servers: the manager's store, and the pivot's target.
            using var mgmt = await ManagementClusterAsync(mgmtSession, work, "mgmt");
            using var mgmt2 = await ManagementClusterAsync(mgmtSession, work, "mgmt2");
            var catalogue = MachineConfigCatalogue.LoadShipped();
            for (var i = 0; i < clusters; i++)
            {
                var config = ClusterConfigGenerator.Generate(new ClusterConfigRequest
                {
                    Name = $"load{i}", ProjectId = plain.ProjectId, ApiKey = plain.ApiKey, Metro = Metros[i % Metros.Length], Plan = "c3.small.x86",
                    OperatingSystem = "ubuntu_22_04", KubernetesVersion = "1.20.2", WorkerCount = workersPerCluster, SshPublicKey = SshKey,
                }, catalogue).Config;
                await ClusterOperations.StoreDefinitionAsync(mgmt, config, ClusterOperations.DefaultNamespace, CancellationToken.None);
            }

            using var admin = new HttpClient { BaseAddress = plain.AdminEndpoint };
            admin.DefaultRequestHeaders.Add("X-Auth-Token", plain.ApiKey);
            var machines = clusters * (1 + workersPerCluster);

            // The manager runs as its own process, as the Deployment runs it, so its memory is its own.
            var kubeconfig = Path.Combine(work, "mgmt.kubeconfig");
            await File.WriteAllTextAsync(kubeconfig, await ClusterQueries.AdminKubeconfigAsync(Path.Combine(work, "state"), "mgmt", CancellationToken.None));
            var converge = Stopwatch.StartNew();
            await using var manager = ManagerProcess.Start(kubeconfig, plain);
            var provisioned = 0;
            (await admin.DeleteAsync("requests")).EnsureSuccessStatusCode();
            try
            {
                var lastReport = Stopwatch.StartNew();
                await WaitAsync(async () =>
                {
                    provisioned = await CountAsync(mgmt, "Provisioned");
                    if (lastReport.Elapsed > TimeSpan.FromSeconds(30))
                    {
                        lastReport.Restart();
                        var sofar = await TotalAsync(admin);
                        Console.WriteLine($"Bench: manager: {converge.Elapsed.TotalSeconds:N0} s: {provisioned}/{machines} Provisioned, {await manager.MetricAsync("packetcluster_manager_reconcile_passes_total"):N0} cluster passes, {sofar.Total} Packet API requests ({sofar.Describe})");
                    }
                    return provisioned == machines;
                }, TimeSpan.FromMinutes(15), $"{machines} machines Provisioned");
            }
            catch (TimeoutException)
            {
                Console.WriteLine($"Bench: manager: only {provisioned} of {machines} machines Provisioned after {converge.Elapsed.TotalMinutes:N0} min; the steady-state, restart and pivot numbers need a converged manager and are not measured.");
                await manager.DisposeAsync();
                return;
            }
            Console.WriteLine($"Bench: manager: {machines} machines in {clusters} clusters provisioned from scratch in {converge.Elapsed.TotalSeconds:N0} s");

            (await admin.DeleteAsync("requests")).EnsureSuccessStatusCode();
            var window = TimeSpan.FromSeconds(60);
            string[] activity = ["packetcluster_manager_reconcile_passes_total", "packetcluster_manager_store_writes_total", "packetcluster_manager_watch_events_total"];
            var before = await Task.WhenAll(activity.Select(manager.MetricAsync));
            // Resident memory sampled through the window: one sample can fall just after a collection.
            var rssSamples = new List<double>();
            var windowTimer = Stopwatch.StartNew();
            while (windowTimer.Elapsed < window)
            {
                await Task.Delay(TimeSpan.FromSeconds(5));
                rssSamples.Add(await manager.MetricAsync("process_resident_memory_bytes") / 1024.0 / 1024.0);
            }
            var steady = await TotalAsync(admin);
            var after = await Task.WhenAll(activity.Select(manager.MetricAsync));
            Console.WriteLine($"Bench: manager activity per minute at steady state: {(after[0] - before[0]) / window.TotalMinutes:N0} cluster passes, " +
                              $"{(after[1] - before[1]) / window.TotalMinutes:N0} Kubernetes writes, {(after[2] - before[2]) / window.TotalMinutes:N0} watch events");
            rssSamples.Sort();
            var rssMb = rssSamples[^1];
            Console.WriteLine($"Bench: manager resident memory at steady state, {machines} machines: {rssMb:N0} MB (the highest of {rssSamples.Count} samples over {window.TotalSeconds:N0} s; " +
                              $"median {rssSamples[rssSamples.Count / 2]:N0} MB); target {MemoryTargetMb:N0} MB; ratio {rssMb / MemoryTargetMb:N2} (the PacketCluster.Manager process, from its /metrics)");
            Console.WriteLine($"Bench: manager Packet API requests per minute at steady state, {clusters} clusters: {steady.Total / window.TotalMinutes:N1} ({steady.Describe})");

            await manager.DisposeAsync();
            (await admin.DeleteAsync("requests")).EnsureSuccessStatusCode();
            var restart = Stopwatch.StartNew();
            await using var manager2 = ManagerProcess.Start(kubeconfig, plain);
            await WaitAsync(async () => await manager2.MetricAsync("packetcluster_manager_reconcile_passes_total") >= clusters, TimeSpan.FromMinutes(5), "every cluster reconciled once after the restart");
            var restartTime = restart.Elapsed.TotalSeconds;
            var afterRestart = await TotalAsync(admin);
            var created = afterRestart.Counts.GetValueOrDefault("POST /projects/{id}/devices");
            Console.WriteLine($"Bench: manager restart: every cluster reconciled again in {restartTime:N1} s; devices created {created}, deleted {afterRestart.Counts.GetValueOrDefault("DELETE /devices/{id}")} (target 0)");
            await manager2.DisposeAsync();

            var pivot = Stopwatch.StartNew();
            var moved = 0;
            for (var i = 0; i < clusters; i++)
                moved += (await PivotOperation.RunAsync(mgmt, ClusterOperations.DefaultNamespace, $"load{i}", mgmt2, null, NullEngineLog.Instance, CancellationToken.None)).Objects.Count;
            Console.WriteLine($"Bench: Invoke-PacketPivot of {clusters} clusters ({moved} objects, {machines} machines) between two API servers: {pivot.Elapsed.TotalSeconds:N1} s");
        }
        finally
        {
            foreach (var pid in launched) SimulatorLauncher.Stop(pid, TimeSpan.FromSeconds(30));
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The manager process with the Deployment's flags and environment; its numbers come from its /metrics.</summary>
    private sealed class ManagerProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly HttpClient _metrics;

        private ManagerProcess(Process process, HttpClient metrics) => (_process, _metrics) = (process, metrics);

        public static ManagerProcess Start(string kubeconfig, SimulatorProcessInfo packet)
        {
            var port = FreeLoopbackPort();
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "PacketCluster.Manager.dll"), $"--kubeconfig={kubeconfig}",
                         $"--health-addr=127.0.0.1:{port}", $"--metrics-addr=127.0.0.1:{port}" })
                start.ArgumentList.Add(a);
            start.Environment["PACKET_API_KEY"] = packet.ApiKey;
            start.Environment["PACKET_PROJECT_ID"] = packet.ProjectId;
            start.Environment["PACKET_API_URL"] = packet.Endpoint.ToString();
            start.Environment["MALLOC_ARENA_MAX"] = "2"; // as provider-components.yaml and the Dockerfile set it
            var process = Process.Start(start)!;
            // Drained so its log never blocks it on a full pipe; PACKETCLUSTER_BENCH_MANAGER_LOG keeps it for diagnosis.
            var logPath = Environment.GetEnvironmentVariable("PACKETCLUSTER_BENCH_MANAGER_LOG");
            var log = string.IsNullOrEmpty(logPath) ? null : TextWriter.Synchronized(new StreamWriter(logPath, append: true) { AutoFlush = true });
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) log?.WriteLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) log?.WriteLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new ManagerProcess(process, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(10) });
        }

        /// <summary>A sample of the manager's /metrics (0 while it does not answer yet).</summary>
        public async Task<double> MetricAsync(string name)
        {
            try
            {
                var line = (await _metrics.GetStringAsync("metrics")).Split('\n').FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal));
                return line is null ? 0 : double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return 0;
            }
        }

        private static int FreeLoopbackPort()
        {
            var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            listener.Start();
            var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            return port;
        }

        private bool _disposed;

        public async ValueTask DisposeAsync()
        {
            if (_disposed) return;
            _disposed = true;
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
            _process.Dispose();
            _metrics.Dispose();
        }
    }

    private static async Task<KubernetesStore> ManagementClusterAsync(PacketSession session, string work, string name)
    {
        var config = ClusterConfigGenerator.Generate(new ClusterConfigRequest
        {
            Name = name, ProjectId = session.RequireProjectId(), ApiKey = session.Options.ApiKey, Metro = "sv", Plan = "c3.small.x86",
            OperatingSystem = "ubuntu_22_04", KubernetesVersion = "1.20.2", WorkerCount = 0, SshPublicKey = SshKey,
        }, MachineConfigCatalogue.LoadShipped()).Config;
        var state = Path.Combine(work, "state");
        await ClusterOperations.CreateAsync(new CreateClusterRequest
        {
            Config = config, StateRoot = state, Until = CreateStage.Ready,
            Wait = new ChangeWait(true, TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(500)),
        }, session, NullEngineLog.Instance, CancellationToken.None);
        var store = KubernetesStore.FromKubeconfigText(await ClusterQueries.AdminKubeconfigAsync(state, name, CancellationToken.None));
        await new ManifestApplier(store.Client).ApplyAsync(CustomResourceDefinitions.Render(), "crds", CancellationToken.None);
        return store;
    }

    private static async Task<SimulatorProcessInfo> StartSimulatorAsync(string simulatorPath, string work, string name, string boot, List<int> launched)
    {
        var config = Path.Combine(work, $"{name}.yaml");
        await File.WriteAllTextAsync(config, $"""
            apiVersion: packetcluster.io/v1alpha1
            kind: SimulatorConfig
            timings:
              queued: {"{"}duration: 200ms{"}"}
              provisioning: {"{"}duration: 1s{"}"}
              deprovisioning: {"{"}duration: 300ms{"}"}
            rateLimit: {"{"}requests: 0{"}"}
            {boot}
            """);
        var info = await SimulatorLauncher.StartAsync(new SimulatorLaunchOptions
        {
            SimulatorPath = simulatorPath, ConfigFile = config, LogFile = Path.Combine(work, $"{name}.log"),
        }, NullEngineLog.Instance, CancellationToken.None);
        launched.Add(info.ProcessId);
        return info;
    }

    private static PacketSession Session(SimulatorProcessInfo info) =>
        new(new PacketApiOptions { Endpoint = info.Endpoint, ApiKey = info.ApiKey, ProjectId = info.ProjectId }, "bench");

    private static async Task<int> CountAsync(KubernetesStore store, string phase) =>
        (await store.ListAsync<Machine>(ClusterOperations.DefaultNamespace, null, CancellationToken.None)).Count(m => m.Status?.Phase == phase);

    private sealed record Requests(int Total, IReadOnlyDictionary<string, int> Counts)
    {
        public string Describe => string.Join(", ", Counts.Select(kv => $"{kv.Key} ×{kv.Value}"));
    }

    private static async Task<Requests> TotalAsync(HttpClient admin)
    {
        var body = (await admin.GetFromJsonAsync<JsonObject>("requests"))!;
        return new Requests(body["total"]!.GetValue<int>(), body["requests"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<int>()));
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Bench: not within {timeout}: {what}");
            await Task.Delay(TimeSpan.FromSeconds(1));
        }
    }
}
