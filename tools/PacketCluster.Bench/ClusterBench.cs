using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using PacketCluster.Engine;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Simulator.Config;
using PacketCluster.Simulator.Hosting;

namespace PacketCluster.Bench;

/// <summary>
/// Time to Provisioned (target ≤ 1.3·D, D = the simulator's queued + provisioning delay) and Packet API requests
/// per machine over create → Provisioned → delete (target ≤ 6), for 1 control plane + N workers, through the same
/// ClusterOperations the cmdlets call, against the simulator on loopback.
/// </summary>
internal static class ClusterBench
{
    private const double TimeTarget = 1.3;
    private const double RequestTarget = 6;
    internal const string SshKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 bench";

    public static async Task RunAsync(TimeSpan provisioningDelay, IReadOnlyList<int> workerCounts)
    {
        var queued = TimeSpan.FromSeconds(1);
        await using var simulator = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            Seed = 1,
            Config = new SimulatorConfig
            {
                Boot = new BootConfig { Enabled = false },
                Timings = new DeviceTimings
                {
                    Queued = new Timing(queued),
                    Provisioning = new Timing(provisioningDelay - queued),
                    Deprovisioning = new Timing(TimeSpan.FromMilliseconds(500)),
                },
            },
        });
        var session = new PacketSession(new PacketApiOptions { Endpoint = simulator.BaseUrl, ApiKey = simulator.ApiKey, ProjectId = simulator.ProjectId }, "bench");
        using var admin = new HttpClient { BaseAddress = simulator.AdminUrl };
        admin.DefaultRequestHeaders.Add("X-Auth-Token", simulator.ApiKey);
        var stateRoot = Directory.CreateTempSubdirectory("pc-bench-").FullName;
        var d = provisioningDelay.TotalSeconds;
        try
        {
            foreach (var workers in workerCounts)
            {
                var name = $"bench{workers}";
                var machines = 1 + workers;
                var log = new TimingLog();
                var request = new CreateClusterRequest
                {
                    Config = ClusterConfigGenerator.Generate(new ClusterConfigRequest
                    {
                        Name = name, ProjectId = simulator.ProjectId, ApiKey = simulator.ApiKey, Metro = "sv", Plan = "c3.small.x86",
                        OperatingSystem = "ubuntu_22_04", KubernetesVersion = "1.20.2", WorkerCount = workers, SshPublicKey = SshKey,
                    }, MachineConfigCatalogue.LoadShipped()).Config,
                    StateRoot = stateRoot, Wait = new ChangeWait(true, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(250)),
                };

                (await admin.DeleteAsync("requests")).EnsureSuccessStatusCode();
                var sw = Stopwatch.StartNew();
                log.Start(sw);
                var cluster = await ClusterOperations.CreateAsync(request, session, log, CancellationToken.None);
                var wall = sw.Elapsed.TotalSeconds;
                if (cluster.Status?.Phase != "Provisioned")
                    Console.WriteLine($"Bench: warning: cluster {name} ended in phase '{cluster.Status?.Phase}'");
                var report = await ClusterOperations.DeleteAsync(name, stateRoot, session, log, TimeSpan.FromMinutes(3), TimeSpan.FromMilliseconds(250), CancellationToken.None);
                if (report.Leftovers.Count > 0)
                    Console.WriteLine($"Bench: warning: cluster {name} left {string.Join("; ", report.Leftovers)}");
                var counts = (await admin.GetFromJsonAsync<JsonObject>("requests"))!;
                var total = counts["total"]!.GetValue<int>();
                var perMachine = (double)total / machines;

                var first = log.FirstDeviceCreated ?? double.NaN;
                var last = log.LastDeviceCreated ?? double.NaN;
                Console.WriteLine($"Bench: time to provisioned, 1+{workers} machines: {wall:N1} s for D = {d:N1} s; target {TimeTarget}·D; ratio {wall / d:N2}" +
                                  $" (preflight, PKI and endpoint before the first device was created: {first:N1} s; last device created at {last:N1} s)");
                Console.WriteLine($"Bench: Packet API requests per machine, 1+{workers}: {perMachine:N1}; target {RequestTarget:N0}; ratio {perMachine / RequestTarget:N2}" +
                                  $" ({total} requests: {string.Join(", ", counts["requests"]!.AsObject().Select(kv => $"{kv.Key} ×{kv.Value}"))})");
            }
        }
        finally
        {
            try { Directory.Delete(stateRoot, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>Discards messages, but notes when the first and last device were created (so setup time can be split out).</summary>
    private sealed class TimingLog : IEngineLog
    {
        private Stopwatch? _clock;
        private long _firstDeviceTicks = -1;
        private long _lastDeviceTicks = -1;

        public void Start(Stopwatch clock)
        {
            _clock = clock;
            Interlocked.Exchange(ref _firstDeviceTicks, -1);
            Interlocked.Exchange(ref _lastDeviceTicks, -1);
        }

        public double? FirstDeviceCreated => Seconds(Interlocked.Read(ref _firstDeviceTicks));
        public double? LastDeviceCreated => Seconds(Interlocked.Read(ref _lastDeviceTicks));

        private static double? Seconds(long ticks) => ticks >= 0 ? TimeSpan.FromTicks(ticks).TotalSeconds : null;

        public void Write(EngineMessage message)
        {
            // MachineReconciler logs "{machine}: created device {id} (…)" once the create request was answered.
            if (_clock is null || !message.Text.Contains(": created device ", StringComparison.Ordinal)) return;
            var now = _clock.Elapsed.Ticks;
            Interlocked.CompareExchange(ref _firstDeviceTicks, now, -1);
            long seen;
            while ((seen = Interlocked.Read(ref _lastDeviceTicks)) < now && Interlocked.CompareExchange(ref _lastDeviceTicks, now, seen) != seen) { }
        }
    }
}
