using System.Diagnostics;
using System.Globalization;
using PacketCluster.Bench;
using PacketCluster.Engine.Pki;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// PACKETCLUSTER_BENCH=manager runs only the manager bench (diagnostic runs of its memory).
var managerOnly = Environment.GetEnvironmentVariable("PACKETCLUSTER_BENCH") == "manager";
if (!managerOnly) await RunClientBenchesAsync();

// The manager at scale, against simulators run as separate processes (the assembled module's simulator).
// Optional sizes after the path (clusters, workers per cluster) make quicker diagnostic runs; the target is 10 × (1 + 99).
if (args is [var simulatorPath, var clusters, var workers, ..]) await ManagerBench.RunAsync(simulatorPath, int.Parse(clusters, CultureInfo.InvariantCulture), int.Parse(workers, CultureInfo.InvariantCulture));
else if (args is [var path, ..]) await ManagerBench.RunAsync(path);
else Console.WriteLine("Bench: manager bench skipped: pass the path of PacketCluster.Simulator.dll (build.ps1 Bench does).");

static async Task RunClientBenchesAsync()
{
    // Warm admin-kubeconfig minting: the cost Get-PacketKubeconfig pays per call once the engine is loaded.
    const double TargetMs = 100;
    var ca = CertificateAuthority.Generate("bench");
    for (var i = 0; i < 5; i++) AdminKubeconfig.Create("bench", "https://127.0.0.1:6443", ca); // warm-up: JIT and key generation paths
    var samples = new List<double>();
    for (var i = 0; i < 25; i++)
    {
        var sw = Stopwatch.StartNew();
        AdminKubeconfig.Create("bench", "https://127.0.0.1:6443", ca);
        samples.Add(sw.Elapsed.TotalMilliseconds);
    }
    samples.Sort();
    var median = samples[samples.Count / 2];
    Console.WriteLine($"Bench: warm admin-kubeconfig minting {median:N2} ms (median of {samples.Count}); target {TargetMs} ms; ratio {median / TargetMs:N3}");

    // Cluster create → Provisioned → delete against the in-process simulator (PRODUCT.md §10).
    await ClusterBench.RunAsync(provisioningDelay: TimeSpan.FromSeconds(8), workerCounts: [1, 10, 50]);
}
