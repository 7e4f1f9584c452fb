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
/// The manager at scale (PRODUCT.md §10): 50 clusters × 100 machines kept by the real PacketCluster.Manager process,
/// started as its Deployment starts it (--leader-elect, --machine-configs, the environment), whose objects live in a
/// real kube-apiserver — a management cluster the simulator boots — against a second simulator with booting off.
/// Figures: device creates while converging from scratch (exactly one per machine), resident memory at steady state,
/// the time until every cluster had a pass again after the leader is killed with SIGKILL and a new process takes the
/// Lease over (target: lease duration + 30 s, with no create or delete), and the same after a graceful stop (SIGTERM).
/// A /metrics scrape that fails is reported as failed, never read as 0.
/// </summary>
internal static class ManagerBench
{
    private const double MemoryTargetMb = 300;
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(15); // ManagerOptions' default, which the Deployment keeps
    internal const string SshKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 bench";

    /// <summary>Ten metros, five clusters each at the target's scale; the plain simulator's catalogue gets 1000 c3.small.x86 per facility (<see cref="RoomyCatalogue"/>).</summary>
    private static readonly string[] Metros = ["sv", "ny", "da", "am", "sg", "fr", "ld", "ty", "ch", "dc"];

    /// <param name="output">Where the figures go (a JSON array); manager-memory.json (the chart's samples) goes beside it.</param>
    /// <param name="clusters">50 by default (the target's scale); smaller runs help diagnose.</param>
    /// <param name="workersPerCluster">99 by default: with the control plane, 100 machines per cluster.</param>
    public static async Task RunAsync(string simulatorPath, string output, int clusters = 50, int workersPerCluster = 99)
    {
        var figures = new BenchFigureList();
        var work = Directory.CreateTempSubdirectory("pc-manager-bench-").FullName;
        var launched = new List<int>();
        var managers = new List<ManagerProcess>();
        try
        {
            var boot = await StartSimulatorAsync(simulatorPath, work, "boot", "boot: {enabled: true}", launched);
            var catalogue = Path.Combine(work, "catalogue.yaml");
            await File.WriteAllTextAsync(catalogue, RoomyCatalogue());
            var plain = await StartSimulatorAsync(simulatorPath, work, "plain", $"boot: {{enabled: false}}\ncatalogue: {catalogue}", launched);
            var mgmtSession = Session(boot);

            using var mgmt = await ManagementClusterAsync(mgmtSession, work, "mgmt");
            var shipped = MachineConfigCatalogue.LoadShipped();
            for (var i = 0; i < clusters; i++)
            {
                var config = ClusterConfigGenerator.Generate(new ClusterConfigRequest
                {
                    Name = $"load{i}", ProjectId = plain.ProjectId, ApiKey = plain.ApiKey, Metro = Metros[i % Metros.Length], Plan = "c3.small.x86",
                    OperatingSystem = "ubuntu_22_04", KubernetesVersion = "1.20.2", WorkerCount = workersPerCluster, SshPublicKey = SshKey,
                }, shipped).Config;
                await ClusterOperations.StoreDefinitionAsync(mgmt, config, ClusterOperations.DefaultNamespace, CancellationToken.None);
            }
            // The Deployment mounts the shipped machine configs (provider-components' ConfigMap) at this flag's path.
            var machineConfigs = Path.Combine(work, "machine_configs.yaml");
            await File.WriteAllTextAsync(machineConfigs, shipped.ToYaml());

            using var admin = new HttpClient { BaseAddress = plain.AdminEndpoint };
            admin.DefaultRequestHeaders.Add("X-Auth-Token", plain.ApiKey);
            var machines = clusters * (1 + workersPerCluster);
            var kubeconfig = Path.Combine(work, "mgmt.kubeconfig");
            await File.WriteAllTextAsync(kubeconfig, await ClusterQueries.AdminKubeconfigAsync(Path.Combine(work, "state"), "mgmt", CancellationToken.None));
            ManagerProcess Start(string identity)
            {
                var m = ManagerProcess.Start(kubeconfig, machineConfigs, identity, plain);
                managers.Add(m);
                return m;
            }

            // Converge from scratch; resident memory sampled against machines provisioned (the chart).
            (await admin.DeleteAsync("requests")).EnsureSuccessStatusCode();
            var converge = Stopwatch.StartNew();
            var first = Start("bench-a");
            var memory = new JsonArray();
            var provisioned = 0;
            var lastSample = Stopwatch.StartNew();
            try
            {
                await WaitAsync(async () =>
                {
                    provisioned = await CountAsync(mgmt, "Provisioned");
                    if (lastSample.Elapsed > TimeSpan.FromSeconds(15))
                    {
                        lastSample.Restart();
                        var rss = await first.ScrapeAsync();
                        if (rss?.Value("process_resident_memory_bytes") is { } bytes) memory.Add(new JsonObject { ["machines"] = provisioned, ["mb"] = Math.Round(bytes / 1048576.0, 1) });
                        var sofar = await TotalAsync(admin);
                        Console.WriteLine($"Bench: manager: {converge.Elapsed.TotalSeconds:N0} s: {provisioned}/{machines} Provisioned, " +
                                          (rss is null ? "its /metrics did not answer" : $"{rss.Value("packetcluster_manager_reconcile_passes_total"):N0} cluster passes, {rss.Value("process_resident_memory_bytes") / 1048576.0:N0} MB") +
                                          $", {sofar.Total} Packet API requests");
                    }
                    return provisioned == machines;
                }, TimeSpan.FromMinutes(45), $"{machines} machines Provisioned");
            }
            catch (TimeoutException)
            {
                Console.WriteLine($"Bench: manager: only {provisioned} of {machines} machines Provisioned after {converge.Elapsed.TotalMinutes:N0} min; no manager figures (they need a converged manager).");
                return;
            }
            var converged = converge.Elapsed.TotalSeconds;
            var creates = (await TotalAsync(admin)).Counts.GetValueOrDefault("POST /projects/{id}/devices");
            figures.Count($"manager: device creates converging from scratch, {machines} machines", creates, "devices", machines,
                $"every machine Provisioned in {converged:N0} s");

            // Steady state: memory (the highest of the samples over a minute), activity per minute.
            (await admin.DeleteAsync("requests")).EnsureSuccessStatusCode();
            var before = await first.ScrapeAsync();
            var samples = new List<double>();
            var failedScrapes = 0;
            for (var window = Stopwatch.StartNew(); window.Elapsed < TimeSpan.FromSeconds(60);)
            {
                await Task.Delay(TimeSpan.FromSeconds(5));
                if ((await first.ScrapeAsync())?.Value("process_resident_memory_bytes") is { } bytes) samples.Add(bytes / 1048576.0);
                else failedScrapes++;
            }
            var after = await first.ScrapeAsync();
            var steady = await TotalAsync(admin);
            memory.Add(new JsonObject { ["machines"] = machines, ["mb"] = samples.Count > 0 ? Math.Round(samples.Max(), 1) : null });
            await File.WriteAllTextAsync(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, "manager-memory.json"),
                new JsonObject { ["targetMb"] = MemoryTargetMb, ["samples"] = memory }.ToJsonString());
            var activity = before is null || after is null ? "activity not measured: /metrics did not answer"
                : $"per minute: {after.Value("packetcluster_manager_reconcile_passes_total") - before.Value("packetcluster_manager_reconcile_passes_total"):N0} cluster passes, " +
                  $"{after.Value("packetcluster_manager_store_writes_total") - before.Value("packetcluster_manager_store_writes_total"):N0} Kubernetes writes, {steady.Total} Packet API requests";
            if (samples.Count == 0) Console.WriteLine($"Bench: manager: every /metrics scrape of the steady-state window failed ({failedScrapes}); no memory figure.");
            else figures.Add($"manager resident memory at steady state, {machines} machines", [samples.Max()], "MB", MemoryTargetMb,
                $"highest of {samples.Count} samples over 60 s (median {BenchFigureList.Median(samples):N0} MB){(failedScrapes > 0 ? $", {failedScrapes} scrapes failed" : "")}; {activity}");

            // SIGKILL of the leader, a new process takes the Lease over; then a graceful stop (SIGTERM) and a new process.
            var leader = first;
            foreach (var (how, signal) in new[] { ("SIGKILL of the leader", "KILL"), ("graceful stop (SIGTERM)", "TERM") })
            {
                (await admin.DeleteAsync("requests")).EnsureSuccessStatusCode();
                var restart = Stopwatch.StartNew();
                await leader.SignalAsync(signal);
                var next = Start($"bench-{how[..4].ToLowerInvariant()}-{managers.Count}");
                var missing = clusters;
                try
                {
                    await WaitAsync(async () =>
                    {
                        var scrape = await next.ScrapeAsync();
                        missing = scrape is null ? clusters : Enumerable.Range(0, clusters).Count(i => scrape.Labelled("packetcluster_manager_cluster_reconcile_passes_total", "cluster", $"load{i}") is not > 0);
                        return missing == 0;
                    }, TimeSpan.FromMinutes(5), "every cluster reconciled after the restart");
                }
                catch (TimeoutException)
                {
                    Console.WriteLine($"Bench: manager restart after {how}: {missing} of {clusters} clusters had no pass within 5 minutes; no figure.");
                    leader = next;
                    continue;
                }
                var seconds = restart.Elapsed.TotalSeconds;
                var counts = (await TotalAsync(admin)).Counts;
                var changed = counts.GetValueOrDefault("POST /projects/{id}/devices") + counts.GetValueOrDefault("DELETE /devices/{id}");
                figures.Add($"manager restart after {how}: every cluster reconciled again, {clusters} clusters", [seconds], "s", LeaseDuration.TotalSeconds + 30,
                    $"from the signal to a pass of each cluster by the new process (per-cluster /metrics); lease {LeaseDuration.TotalSeconds:N0} s");
                figures.Count($"manager restart after {how}: devices created or deleted", changed, "devices", 0, "");
                leader = next;
            }
        }
        finally
        {
            foreach (var m in managers) await m.DisposeAsync();
            foreach (var pid in launched) SimulatorLauncher.Stop(pid, TimeSpan.FromSeconds(30));
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            await figures.WriteAsync(output);
        }
    }

    /// <summary>The simulator's catalogue with 1000 c3.small.x86 per facility, so 5000 machines fit in ten metros.</summary>
    private static string RoomyCatalogue()
    {
        using var stream = typeof(PacketCluster.Simulator.Hosting.SimulatorHost).Assembly.GetManifestResourceStream("PacketCluster.Simulator.Resources.catalogue.yaml")
            ?? throw new InvalidOperationException("the simulator's embedded catalogue is missing");
        var text = new StreamReader(stream).ReadToEnd();
        var at = text.IndexOf("slug: c3.small.x86", StringComparison.Ordinal);
        var line = text.IndexOf("availability:", at, StringComparison.Ordinal);
        var end = text.IndexOf('\n', line);
        var facilities = System.Text.RegularExpressions.Regex.Matches(text[line..end], @"([a-z0-9]+): \d+").Select(m => m.Groups[1].Value);
        return text[..line] + "availability: {" + string.Join(", ", facilities.Select(f => $"{f}: 1000")) + "}" + text[end..];
    }

    /// <summary>The manager process with the Deployment's flags and environment; its numbers come from its /metrics.</summary>
    private sealed class ManagerProcess : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly HttpClient _metrics;

        private ManagerProcess(Process process, HttpClient metrics) => (_process, _metrics) = (process, metrics);

        public static ManagerProcess Start(string kubeconfig, string machineConfigs, string identity, SimulatorProcessInfo packet)
        {
            var port = FreeLoopbackPort();
            var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            // As provider-components.yaml: --leader-elect and --machine-configs; addresses on loopback (a pod has its own).
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "PacketCluster.Manager.dll"), $"--kubeconfig={kubeconfig}",
                         "--leader-elect", $"--machine-configs={machineConfigs}", $"--identity={identity}",
                         $"--health-addr=127.0.0.1:{port}", $"--metrics-addr=127.0.0.1:{port}" })
                start.ArgumentList.Add(a);
            start.Environment["PACKET_API_KEY"] = packet.ApiKey;
            start.Environment["PACKET_PROJECT_ID"] = packet.ProjectId;
            start.Environment["PACKET_API_URL"] = packet.Endpoint.ToString();
            start.Environment["POD_NAMESPACE"] = "cluster-api-provider-packet-system";
            start.Environment["NODE_NAME"] = "bench";
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

        /// <summary>One scrape of /metrics; null when it fails (never a row of zeros).</summary>
        public async Task<MetricsScrape?> ScrapeAsync()
        {
            try { return new MetricsScrape(await _metrics.GetStringAsync("metrics")); }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException) { return null; }
        }

        /// <summary>kill -KILL (what a node loss or the OOM killer does) or kill -TERM (the kubelet stopping the pod).</summary>
        public async Task SignalAsync(string signal)
        {
            if (_process.HasExited) return;
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { $"-{signal}", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
            await kill.WaitForExitAsync();
            if (signal == "KILL") await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
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

    /// <summary>A Prometheus text scrape: samples by name, and labelled ones by one label's value.</summary>
    private sealed class MetricsScrape(string text)
    {
        private readonly string[] _lines = text.Split('\n');

        public double? Value(string name) =>
            _lines.FirstOrDefault(l => l.StartsWith(name + " ", StringComparison.Ordinal)) is { } line
                ? double.Parse(line[(name.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture) : null;

        public double? Labelled(string name, string label, string value)
        {
            var prefix = $"{name}{{{label}=\"{value}\"}} ";
            return _lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line
                ? double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture) : null;
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
