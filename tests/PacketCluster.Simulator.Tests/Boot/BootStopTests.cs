using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PacketCluster.Engine;
using PacketCluster.Engine.Pki;
using PacketCluster.Engine.Simulation;
using PacketCluster.Simulator.Boot;
using Xunit;

namespace PacketCluster.Simulator.Tests.Boot;

/// <summary>
/// The console simulator (as Start-/Stop-PacketSimulator run it) booting seed-style shell userdata: stopping it while
/// its control plane starts leaves no process and no device folder. Starts etcd + kube-apiserver, not a whole cluster.
/// </summary>
public sealed partial class BootStopTests
{
    [GeneratedRegex(@"root folder (\S+)")]
    private static partial Regex RootFolder();

    [Fact]
    public async Task StoppingTheSimulatorProcessStopsWhatItsDevicesStarted()
    {
        BootTestSupport.RequireBinaries();

        var work = Directory.CreateTempSubdirectory("pc-bootstop-").FullName;
        SimulatorProcessInfo? sim = null;
        try
        {
            var octet = Random.Shared.Next(100, 250);
            var config = Path.Combine(work, "sim.yaml");
            await File.WriteAllTextAsync(config, $"""
                apiVersion: packetcluster.io/v1alpha1
                kind: SimulatorConfig
                timings:
                  queued: {"{duration: 100ms}"}
                  provisioning: {"{duration: 200ms}"}
                addresses: {"{"}publicIpv4: 127.{octet}.0.0/24, privateIpv4: 127.{octet}.1.0/24, elasticIpv4: 127.{octet}.2.0/24{"}"}
                """);
            sim = await SimulatorLauncher.StartAsync(new SimulatorLaunchOptions
            {
                SimulatorPath = Path.Combine(AppContext.BaseDirectory, "PacketCluster.Simulator.dll"),
                ConfigFile = config, LogFile = Path.Combine(work, "sim.log"),
            }, NullEngineLog.Instance, default);

            // The seed's master header: the CA as base64, no kubeadm config (the simulator writes the seed's defaults).
            var ca = ClusterPki.Generate("stop-test").ClusterCa;
            static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
            var userdata = $"#!/bin/bash\nKUBELET_VERSION='1.20.2'\nTOKEN='abcdef.0123456789abcdef'\nPORT='6443'\n" +
                           $"MASTER_CA_CERTIFICATE='{B64(ca.CertificatePem)}'\nMASTER_CA_PRIVATE_KEY='{B64(ca.PrivateKeyPem)}'\nROLE='master'\n" +
                           "apt-get install -y kubeadm\nkubeadm init\n";
            using var http = new HttpClient { BaseAddress = sim.Endpoint };
            http.DefaultRequestHeaders.Add("X-Auth-Token", sim.ApiKey);
            using var created = await http.PostAsJsonAsync($"projects/{sim.ProjectId}/devices", new
            {
                hostname = "stop-cp", plan = "c3.small.x86", operating_system = "ubuntu_22_04", metro = "sv", billing_cycle = "hourly", userdata,
            });
            created.EnsureSuccessStatusCode();
            var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

            using var admin = new HttpClient { BaseAddress = sim.AdminEndpoint };
            admin.DefaultRequestHeaders.Add("X-Auth-Token", sim.ApiKey);
            var started = DateTime.UtcNow;
            string console;
            List<int> pids;
            while (true)
            {
                await http.GetAsync($"devices/{id}"); // reading the device moves its lifecycle on, as a polling client does
                console = await admin.GetStringAsync($"devices/{id}/console");
                pids = BootTestSupport.StartedPids(console);
                if (pids.Count >= 2 || console.Contains("boot: failed")) break;
                Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(120), $"etcd and kube-apiserver did not start; console:\n{console}");
                await Task.Delay(250);
            }
            Assert.Contains("kubeadm init: the userdata brought no front-proxy-ca; generated one", console);
            Assert.Contains("bootstrap token(s): abcdef.****", console);
            Assert.DoesNotContain("0123456789abcdef", console);
            var root = RootFolder().Match(console).Groups[1].Value;
            Assert.True(Directory.Exists(root));

            Assert.True(SimulatorLauncher.Stop(sim.ProcessId, TimeSpan.FromSeconds(30)));
            sim = null;
            Assert.All(pids, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"pid {pid} outlived the simulator"));
            Assert.False(Directory.Exists(root), "the device root outlived the simulator");
            Assert.False(Directory.Exists(Path.GetDirectoryName(root)), "the machines folder outlived the simulator");
        }
        finally
        {
            if (sim is not null) SimulatorLauncher.Stop(sim.ProcessId, TimeSpan.FromSeconds(30));
            Directory.Delete(work, recursive: true);
        }
    }
}
