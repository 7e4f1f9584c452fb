using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Pki;
using PacketCluster.Models.ClusterApi;
using PacketCluster.Simulator.Boot;
using PacketCluster.Simulator.Config;
using Xunit;
using Xunit.Abstractions;

namespace PacketCluster.Simulator.Tests.Boot;

/// <summary>
/// Devices boot from engine-rendered userdata into a real control plane (etcd + kube-apiserver + kube-controller-manager
/// 1.20.2) on their loopback address. One full control plane per run (~400 MB, ~10 s), plus one stopped mid-boot.
/// Needs the binaries (./build.sh KubeBinaries): without them the test fails, it does not skip.
/// </summary>
public sealed class BootIntegrationTests(ITestOutputHelper output)
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task ControlPlaneBootsServesTokensAndClusterInfo_ElasticIpRoutes_DeleteAndStopLeaveNothing()
    {
        BootTestSupport.RequireBinaries();

        var config = BootTestSupport.BootingConfig(0);
        var kubelets = new RecordingKubelets();
        var sim = await TestSimulator.StartAsync(config, kubelets: kubelets);
        var disposed = false;
        try
        {
            var booter = sim.Host.Booter;
            using var admin = sim.AdminClient();

            var eip = (await sim.SendExpectAsync(HttpMethod.Post, $"projects/{sim.ProjectId}/ips", new { type = "public_ipv4", quantity = 1, metro = "sv" }, 201))!["address"]!.GetValue<string>();
            Assert.Equal(config.Addresses!.ElasticIpv4![..^"0/24".Length] + "1", eip); // not the network address of the range

            // The userdata the engine renders for a 1+1 cluster whose CA we hold (spec.providerSpec.value.caKeyPair).
            var ca = ClusterPki.Generate("boot-test").ClusterCa;
            var cluster = ClusterConfigGenerator.Generate(new ClusterConfigRequest
            {
                Name = "boot-test", ProjectId = sim.ProjectId, ApiKey = sim.Host.ApiKey, Metro = "sv", Plan = "c3.small.x86",
                OperatingSystem = "ubuntu_22_04", KubernetesVersion = "1.20.2", WorkerCount = 1,
                SshPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 t",
            }, MachineConfigCatalogue.LoadShipped()).Config;
            cluster.Cluster.Spec.ProviderSpec!.Value!.CaKeyPair = new KeyPair { Cert = ca.CertificatePem, Key = ca.PrivateKeyPem };
            var userdata = UserdataPreview.Render(cluster, MachineConfigCatalogue.LoadShipped(), UserdataPreview.Targets(cluster), eip);
            var controlPlaneUserdata = userdata.Single(u => u.Role == nameof(MachineRole.ControlPlane)).Content;
            var workerUserdata = userdata.Single(u => u.Role == nameof(MachineRole.Worker)).Content;
            var tokens = Kubeadm(controlPlaneUserdata).BootstrapTokens.Select(t => t.Value).ToList();
            var joinToken = Kubeadm(workerUserdata).JoinToken!;
            Assert.Contains(joinToken, tokens);
            var caPin = SpkiPin.Compute(ca.CertificatePem);

            var cp = (await sim.CreateDeviceAsync("boot-cp", userdata: controlPlaneUserdata))["id"]!.GetValue<string>();
            var worker = (await sim.CreateDeviceAsync("boot-w", userdata: workerUserdata))["id"]!.GetValue<string>();
            var broken = (await sim.CreateDeviceAsync("boot-broken", userdata: "#cloud-config\nwrite_files:\n- path: /etc/x\n  content: [unclosed\n"))["id"]!.GetValue<string>();
            sim.Clock.Advance(TimeSpan.FromSeconds(80));

            // Control plane up: /readyz over the device's address, trusted through the cluster CA only.
            var machine = await WaitForAsync(() => booter.Machine(cp) is { ControlPlaneReady: true } m ? m : null, BootTimeout, () => Console(admin, cp));
            var deviceIp = (await sim.GetAsync($"devices/{cp}"))["ip_addresses"]!.AsArray()
                .First(a => a!["public"]!.GetValue<bool>() && a["address_family"]!.GetValue<int>() == 4)!["address"]!.GetValue<string>();
            using var http = new HttpClient(ControlPlane.Handler(ca.CertificatePem)) { Timeout = TimeSpan.FromSeconds(10) };
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"https://{deviceIp}:6443/readyz")).StatusCode);

            // cluster-info is public and names the control-plane endpoint.
            var clusterInfo = await http.GetStringAsync($"https://{deviceIp}:6443/api/v1/namespaces/kube-public/configmaps/cluster-info");
            Assert.Contains($"server: https://{eip}:6443", JsonNode.Parse(clusterInfo)!["data"]!["kubeconfig"]!.GetValue<string>());

            // A token of the InitConfiguration authenticates (403: known, not allowed), an unknown one does not (401).
            Assert.Equal(HttpStatusCode.Forbidden, await StatusWithToken(http, $"https://{deviceIp}:6443/api/v1/nodes", joinToken));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithToken(http, $"https://{deviceIp}:6443/api/v1/nodes", BootstrapToken.Generate().Value));

            // The controller manager runs: its bootstrapsigner signs cluster-info for every signing token.
            var tokenId = joinToken.Split('.')[0];
            await WaitForAsync(async () => (await http.GetStringAsync($"https://{deviceIp}:6443/api/v1/namespaces/kube-public/configmaps/cluster-info")).Contains($"jws-kubeconfig-{tokenId}") ? "" : null,
                TimeSpan.FromSeconds(60), () => Console(admin, cp));

            // The kubelets were asked for: client certificates on the control plane, the bootstrap token on the worker.
            var cpName = userdata.Single(u => u.Role == nameof(MachineRole.ControlPlane)).MachineName;
            var cpKubelet = await WaitForAsync(() => kubelets.Requests.GetValueOrDefault(cpName), TimeSpan.FromSeconds(10), () => Console(admin, cp));
            Assert.Equal($"packet://{cp}", cpKubelet.ProviderId);
            Assert.Equal($"{deviceIp}:6443", cpKubelet.ApiServerEndpoint);
            Assert.Contains(new KeyValuePair<string, string>("ExternalIP", deviceIp), cpKubelet.Addresses);
            Assert.NotNull(cpKubelet.ClientCertificatePem);
            Assert.Null(cpKubelet.Token);
            var workerName = userdata.Single(u => u.Role == nameof(MachineRole.Worker)).MachineName;
            var workerKubelet = await WaitForAsync(() => kubelets.Requests.GetValueOrDefault(workerName), TimeSpan.FromSeconds(30), () => Console(admin, worker));
            Assert.Equal(joinToken, workerKubelet.Token);
            Assert.Equal($"{eip}:6443", workerKubelet.ApiServerEndpoint);
            Assert.Equal([caPin], workerKubelet.CaCertHashes);

            // The console tells the story, and never a secret.
            var console = await Console(admin, cp);
            output.WriteLine(console);
            Assert.Contains("cloud-init: wrote /etc/kubernetes/pki/ca.key (0600", console);
            Assert.Contains("kube-apiserver: started pid", console);
            Assert.Contains("kube-apiserver: ready after", console);
            Assert.Contains($"bootstrap token {tokenId}.**** created", console);
            Assert.Contains("kube-public/cluster-info published", console);
            Assert.All(tokens, t => Assert.DoesNotContain(t.Split('.')[1], console));
            Assert.DoesNotContain("PRIVATE KEY", console);
            Assert.DoesNotContain(joinToken.Split('.')[1], await Console(admin, worker));

            // Stacked etcd as kubeadm runs it: TLS from the etcd CA the userdata brought, client certificates required.
            Assert.Contains("kubeadm init: using the etcd/ca from the userdata", console);
            var pki = machine.Root.Path("/etc/kubernetes/pki");
            using var etcdCa = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(pki, "etcd", "ca.crt")));
            using (var anonymous = new HttpClient(ControlPlane.Handler(etcdCa.ExportCertificatePem())) { Timeout = TimeSpan.FromSeconds(5) })
                await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.PostAsync($"https://{deviceIp}:2379/v3/cluster/member/list", new StringContent("{}")));
            using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            await Assert.ThrowsAnyAsync<Exception>(async () => (await plain.PostAsync($"http://{deviceIp}:2379/v3/cluster/member/list", new StringContent("{}"))).EnsureSuccessStatusCode());
            var etcdClientHandler = ControlPlane.Handler(etcdCa.ExportCertificatePem());
            etcdClientHandler.ClientCertificates.Add(X509Certificate2.CreateFromPemFile(Path.Combine(pki, "apiserver-etcd-client.crt"), Path.Combine(pki, "apiserver-etcd-client.key")));
            using (var etcdClient = new HttpClient(etcdClientHandler) { Timeout = TimeSpan.FromSeconds(5) })
            {
                using var members = JsonDocument.Parse(await (await etcdClient.PostAsync($"https://{deviceIp}:2379/v3/cluster/member/list", new StringContent("{}"))).EnsureSuccessStatusCode().Content.ReadAsStringAsync());
                var member = Assert.Single(members.RootElement.GetProperty("members").EnumerateArray());
                Assert.Equal(cpName, member.GetProperty("name").GetString());
                Assert.Equal($"https://{deviceIp}:2380", Assert.Single(member.GetProperty("peerURLs").EnumerateArray()).GetString());
            }

            // Malformed userdata: the console says why, nothing runs.
            var brokenConsole = await WaitForAsync(async () => (await Console(admin, broken)) is var c && c.Contains("nothing was run") ? c : null, TimeSpan.FromSeconds(30), () => Console(admin, broken));
            Assert.Contains("userdata rejected: cloud-config: not valid YAML", brokenConsole);
            Assert.Empty(booter.Machine(broken)!.ProcessIds);

            // Assigning the elastic IP routes EIP:6443 to the device's apiserver.
            await sim.SendExpectAsync(HttpMethod.Post, $"devices/{cp}/ips", new { address = eip }, 201);
            await WaitForAsync(async () => await ControlPlane.AnswersOkAsync(http, $"https://{eip}:6443/readyz") ? "" : null, TimeSpan.FromSeconds(30), () => Console(admin, cp));

            // Deleting the device stops every process and removes its root folder.
            var pids = machine.ProcessIds;
            Assert.Equal(4, pids.Count); // etcd, kube-apiserver, kube-controller-manager, kube-scheduler
            Assert.All(pids, pid => Assert.True(Directory.Exists($"/proc/{pid}"), $"pid {pid} should run"));
            var root = machine.Root.RootDirectory;
            Assert.True(Directory.Exists(root));
            await sim.SendExpectAsync(HttpMethod.Delete, $"devices/{cp}", null, 204);
            sim.Clock.Advance(TimeSpan.FromSeconds(30));
            await WaitForAsync(() => booter.Machine(cp) is null && !Directory.Exists(root) && pids.All(p => !Directory.Exists($"/proc/{p}")) ? "" : null,
                TimeSpan.FromSeconds(60), () => Console(admin, cp));
            Assert.False(await ControlPlane.AnswersOkAsync(http, $"https://{eip}:6443/readyz"), "the elastic IP must not route to a deleted device");
            Assert.Contains("kube-apiserver: stopped pid", await Console(admin, cp));

            // A simulator stop while a control plane is still starting leaves no process and no folder behind.
            var second = (await sim.CreateDeviceAsync("boot-cp2", userdata: controlPlaneUserdata))["id"]!.GetValue<string>();
            sim.Clock.Advance(TimeSpan.FromSeconds(80));
            var started = await WaitForAsync(async () => BootTestSupport.StartedPids(await Console(admin, second)) is { Count: >= 2 } m ? m : null,
                BootTimeout, () => Console(admin, second));
            var machinesRoot = booter.RootDirectory;
            await sim.DisposeAsync();
            disposed = true;
            Assert.All(started, pid => Assert.False(Directory.Exists($"/proc/{pid}"), $"pid {pid} outlived the simulator"));
            Assert.False(Directory.Exists(machinesRoot), "the device roots outlived the simulator");
        }
        finally
        {
            if (!disposed) await sim.DisposeAsync();
        }
    }

    /// <summary>The kubeadm config a userdata writes, read the way the simulator reads it.</summary>
    private static KubeadmSettings Kubeadm(string userdata)
    {
        var plan = BootPlan.Parse(userdata);
        Assert.Empty(plan.Problems);
        var path = Assert.Single(plan.Commands).ConfigPath;
        return KubeadmSettings.Parse(System.Text.Encoding.UTF8.GetString(plan.Files.Last(f => f.Path == path).Content));
    }

    private static async Task<string> Console(HttpClient admin, string deviceId)
    {
        using var response = await admin.GetAsync($"devices/{deviceId}/console");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    private static async Task<HttpStatusCode> StatusWithToken(HttpClient http, string url, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    private static Task<T> WaitForAsync<T>(Func<T?> probe, TimeSpan timeout, Func<Task<string>> describe) where T : class =>
        WaitForAsync(() => Task.FromResult(probe()), timeout, describe);

    /// <summary>Polls until <paramref name="probe"/> gives a value; fails with the device console after <paramref name="timeout"/>.</summary>
    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, Func<Task<string>> describe) where T : class
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value) return value;
            if (clock.Elapsed > timeout) Assert.Fail($"not reached within {timeout.TotalSeconds:F0} s; console:\n{await describe()}");
            await Task.Delay(250);
        }
    }

    private sealed class RecordingKubelets : IKubeletLauncher
    {
        public ConcurrentDictionary<string, KubeletJoinRequest> Requests { get; } = new();

        public IAsyncDisposable Start(KubeletJoinRequest request, IConsoleLog console)
        {
            Requests[request.NodeName] = request;
            console.WriteLine($"kubelet: (test) recorded node {request.NodeName}");
            return new Stopper();
        }

        private sealed class Stopper : IAsyncDisposable
        {
            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
