using k8s;
using System.Diagnostics;
using System.Net;
using System.Runtime.InteropServices;
using PacketCluster.Engine.Tests.Manifests;
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

    [Fact]
    public async Task Serves_health_readiness_and_metrics_takes_the_lease_and_stops_on_sigterm()
    {
        new Kubectl(controlPlane).EnsureCustomResourceDefinitions();
        await using var simulator = await SimulatorHost.StartAsync(new SimulatorOptions { Seed = 3, Config = new SimulatorConfig { Boot = new BootConfig { Enabled = false } } });
        var port = LoopbackPort.PickFree();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "PacketCluster.Manager.dll"), $"--kubeconfig={controlPlane.KubeconfigPath}", "--leader-elect",
                     "--lease-namespace=kube-system", $"--health-addr=127.0.0.1:{port}", $"--metrics-addr=127.0.0.1:{port}", "--identity=manager-under-test",
                 })
            start.ArgumentList.Add(a);
        start.Environment["PACKET_API_KEY"] = simulator.ApiKey;
        start.Environment["PACKET_PROJECT_ID"] = simulator.ProjectId;
        start.Environment["PACKET_API_URL"] = simulator.BaseUrl.ToString();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(5) };
            using var admin = controlPlane.CreateClient();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string metrics = "", holder = "";
            // Leading by its own account and by the Lease at the same time (polled: the two are read one after the other).
            while (!(metrics.Contains("packetcluster_manager_leading 1", StringComparison.Ordinal) && holder == "manager-under-test"))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the manager did not lead within 60 s; Lease holder '{holder}'; metrics: {metrics}");
                Assert.False(process.HasExited, "the manager exited");
                await Task.Delay(300);
                try
                {
                    metrics = await http.GetStringAsync("metrics");
                    holder = (await admin.CoordinationV1.ReadNamespacedLeaseAsync("packetcluster-manager", "kube-system")).Spec.HolderIdentity;
                }
                catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException) { }
            }
            Assert.Equal("ok", await http.GetStringAsync("healthz"));
            // Ready either way (a follower stands by).
            Assert.StartsWith("ok: ", await http.GetStringAsync("readyz"));
            Assert.Contains("process_resident_memory_bytes", metrics);

            Assert.Equal(0, kill(process.Id, 15)); // SIGTERM, as the kubelet stops a pod
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(20)), "the manager did not stop within 20 s of SIGTERM");
            Assert.Equal(0, process.ExitCode);
            Assert.DoesNotContain(simulator.ApiKey, await output);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }
}
