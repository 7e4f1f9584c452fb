using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.Models;
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
/// Three control planes from engine-rendered userdata (from a machines.yaml with three control-plane Machines, written
/// and read back as a user's files are): the first runs kubeadm init, the other two kubeadm join
/// --control-plane at the same moment (they take turns adding their etcd members). Real etcd 3.4 and kube-apiserver
/// 1.20.2 prove what HA means: one of three gone, the cluster reads and writes through the moved elastic IP; two of
/// three gone, etcd has no quorum and the API refuses. ~1.2 GB and ~60 s.
/// </summary>
public sealed class HaControlPlaneTests(ITestOutputHelper output)
{
    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(240);

    [Fact]
    public async Task ThreeControlPlanes_FormOneEtcdCluster_SurviveOneLoss_RefuseWritesWithoutQuorum()
    {
        BootTestSupport.RequireBinaries();
        var config = BootTestSupport.BootingConfig(10);
        await using var sim = await TestSimulator.StartAsync(config, kubelets: new NoKubelets());
        var booter = sim.Host.Booter;
        using var admin = sim.AdminClient();

        var eip = (await sim.SendExpectAsync(HttpMethod.Post, $"projects/{sim.ProjectId}/ips", new { type = "public_ipv4", quantity = 1, metro = "sv" }, 201))!["address"]!.GetValue<string>();
        var pki = ClusterPki.Generate("ha-test");
        var generated = ClusterConfigGenerator.Generate(new ClusterConfigRequest
        {
            Name = "ha-test", ProjectId = sim.ProjectId, ApiKey = sim.Host.ApiKey, Metro = "sv", Plan = "c3.small.x86",
            OperatingSystem = "ubuntu_22_04", KubernetesVersion = "1.20.2", ControlPlaneCount = 3, WorkerCount = 1,
            SshPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 t",
        }, MachineConfigCatalogue.LoadShipped());
        // The seed-style path: three control-plane Machines in a machines.yaml on disk, read back as a user's files are.
        var files = Directory.CreateTempSubdirectory("pc-ha-files-").FullName;
        PacketCluster.Engine.Api.ClusterConfigReadResult read;
        try
        {
            ClusterConfigWriter.Write(files, generated, force: false);
            read = PacketCluster.Engine.Api.ClusterConfigReader.ReadDirectory(files);
        }
        finally
        {
            Directory.Delete(files, recursive: true);
        }
        var cluster = read.Config;
        Assert.Equal(3, cluster.Machines.Count(m => m.IsControlPlane));
        cluster.Cluster.Spec.ProviderSpec!.Value!.CaKeyPair = new KeyPair { Cert = pki.ClusterCa.CertificatePem, Key = pki.ClusterCa.PrivateKeyPem };
        var userdata = UserdataPreview.Render(cluster, MachineConfigCatalogue.LoadShipped(), UserdataPreview.Targets(cluster), eip);
        // Userdata says ControlPlane for the first and the joining ones alike (the user's spelling); the kubeadm config tells them apart.
        var controlPlanes = userdata.Where(u => u.Role == PacketCluster.Models.ClusterApi.MachineRoles.ControlPlane).ToList();
        var joins = controlPlanes.Where(u => KubeadmSettings.Parse(KubeadmConfigOf(u.Content)).JoinControlPlane).ToList();
        var init = Assert.Single(controlPlanes.Except(joins));
        Assert.Equal(2, joins.Count);
        var joinSettings = KubeadmSettings.Parse(KubeadmConfigOf(joins[0].Content));
        Assert.True(joinSettings.JoinControlPlane);

        // All three at once, as the engine creates them; the joins wait in discovery until the elastic IP answers.
        var cp1 = (await sim.CreateDeviceAsync(init.MachineName, userdata: init.Content))["id"]!.GetValue<string>();
        var cp2 = (await sim.CreateDeviceAsync(joins[0].MachineName, userdata: joins[0].Content))["id"]!.GetValue<string>();
        var cp3 = (await sim.CreateDeviceAsync(joins[1].MachineName, userdata: joins[1].Content))["id"]!.GetValue<string>();
        sim.Clock.Advance(TimeSpan.FromSeconds(80));
        var assignment = (await sim.SendExpectAsync(HttpMethod.Post, $"devices/{cp1}/ips", new { address = eip }, 201))!["id"]!.GetValue<string>();

        string[] devices = [cp1, cp2, cp3];
        var clock = Stopwatch.StartNew();
        await WaitForAsync(() => devices.All(d => booter.Machine(d) is { ControlPlaneReady: true }) ? "" : null, BootTimeout, () => Consoles(admin, devices));
        output.WriteLine($"three control planes ready after {clock.Elapsed.TotalSeconds:F1} s");
        var addresses = new Dictionary<string, string>();
        foreach (var device in devices) addresses[device] = await PublicIpv4Async(sim, device);

        // One etcd cluster of three started members, each control plane's apiserver on its own member.
        using var etcd = EtcdClient(booter.Machine(cp1)!);
        var members = await MemberNamesAsync(etcd, addresses[cp1]);
        Assert.Equal(userdata.Where(u => u.Role != nameof(MachineRole.Worker)).Select(u => u.MachineName).Order(), members.Order());
        var joinConsole = await ConsoleAsync(admin, cp2);
        Assert.Contains("kubeadm join: control plane", joinConsole);
        Assert.Contains("[etcd] Added member", joinConsole);
        Assert.Contains("kubeadm join: control plane ready at", joinConsole);
        Assert.DoesNotContain("PRIVATE KEY", joinConsole);

        // kubeadm-config lists all three; writes through the elastic IP are seen by every control plane.
        using var http = new HttpClient(ControlPlane.Handler(pki.ClusterCa.CertificatePem)) { Timeout = TimeSpan.FromSeconds(5) };
        await WaitForAsync(async () => await ControlPlane.AnswersOkAsync(http, $"https://{eip}:6443/readyz") ? "" : null, TimeSpan.FromSeconds(30), () => Consoles(admin, devices));
        using var viaEip = Client(pki, $"https://{eip}:6443");
        var status = (await viaEip.CoreV1.ReadNamespacedConfigMapAsync("kubeadm-config", "kube-system")).Data["ClusterStatus"];
        Assert.All(addresses.Values, a => Assert.Contains(a, status));
        for (var i = 0; i < 20; i++)
            await viaEip.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"ha-{i}" }, Data = new Dictionary<string, string> { ["i"] = $"{i}" } }, "default");
        foreach (var device in devices)
        {
            using var direct = Client(pki, $"https://{addresses[device]}:6443");
            Assert.Equal(20, (await direct.CoreV1.ListNamespacedConfigMapAsync("default")).Items.Count(m => m.Metadata.Name.StartsWith("ha-", StringComparison.Ordinal)));
        }

        // The holder of the elastic IP dies; the address moves to the second control plane; two of three keep quorum.
        await sim.SendExpectAsync(HttpMethod.Delete, $"devices/{cp1}", null, 204);
        // Deleting a device releases its assignments, as on Packet.
        await sim.SendExpectAsync(HttpMethod.Get, $"ips/{assignment}", null, 404);
        await sim.SendExpectAsync(HttpMethod.Post, $"devices/{cp2}/ips", new { address = eip }, 201);
        sim.Clock.Advance(TimeSpan.FromSeconds(30));
        await WaitForAsync(async () => await ControlPlane.AnswersOkAsync(http, $"https://{eip}:6443/readyz") ? "" : null, TimeSpan.FromSeconds(60), () => Consoles(admin, devices));
        using var afterLoss = Client(pki, $"https://{eip}:6443");
        // The moved address can reset a connection or two while the relay changes hands (as a route converges): bounded retries.
        var survived = -1;
        await WaitForAsync(async () =>
        {
            try { survived = (await afterLoss.CoreV1.ListNamespacedConfigMapAsync("default")).Items.Count(m => m.Metadata.Name.StartsWith("ha-", StringComparison.Ordinal)); return ""; }
            catch (HttpRequestException) { return null; }
        }, TimeSpan.FromSeconds(30), () => Consoles(admin, devices));
        Assert.Equal(20, survived);
        await afterLoss.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "ha-after-loss" } }, "default");

        // The second loss: one member of three has no quorum. etcd refuses, so the API server is not ready and writes fail.
        await sim.SendExpectAsync(HttpMethod.Delete, $"devices/{cp3}", null, 204);
        sim.Clock.Advance(TimeSpan.FromSeconds(30));
        await WaitForAsync(async () => await ControlPlane.AnswersOkAsync(http, $"https://{eip}:6443/readyz") ? null : "", TimeSpan.FromSeconds(60), () => Consoles(admin, devices));
        using var noQuorum = Client(pki, $"https://{eip}:6443", TimeSpan.FromSeconds(20));
        // One failed /readyz can come while cp3's etcd is still stopping (a deleted device's processes stop in the
        // background), and a write then still commits: wait until writes are refused, then require the next one to be too.
        var attempt = 0;
        Exception? refused = null;
        Task<Exception?> WriteAsync() => Record.ExceptionAsync(() =>
            noQuorum.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"ha-no-quorum-{attempt++}" } }, "default"));
        await WaitForAsync(async () => (refused = await WriteAsync()) is null ? null : "", TimeSpan.FromSeconds(90), () => Consoles(admin, devices));
        output.WriteLine($"write without quorum refused after {attempt} attempt(s): {refused!.GetType().Name}: {refused.Message}");
        Assert.NotNull(await WriteAsync());
    }

    private static string KubeadmConfigOf(string userdata)
    {
        var plan = BootPlan.Parse(userdata);
        var path = Assert.Single(plan.Commands).ConfigPath;
        return Encoding.UTF8.GetString(plan.Files.Last(f => f.Path == path).Content);
    }

    private static HttpClient EtcdClient(PacketCluster.Simulator.Boot.Machine machine)
    {
        var pki = machine.Root.Path("/etc/kubernetes/pki");
        var handler = ControlPlane.Handler(File.ReadAllText(Path.Combine(pki, "etcd", "ca.crt")));
        handler.ClientCertificates.Add(X509Certificate2.CreateFromPemFile(Path.Combine(pki, "apiserver-etcd-client.crt"), Path.Combine(pki, "apiserver-etcd-client.key")));
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
    }

    private static async Task<List<string>> MemberNamesAsync(HttpClient etcd, string address)
    {
        using var response = await etcd.PostAsync($"https://{address}:2379/v3/cluster/member/list", new StringContent("{}"));
        using var members = JsonDocument.Parse(await response.EnsureSuccessStatusCode().Content.ReadAsStringAsync());
        return members.RootElement.GetProperty("members").EnumerateArray().Select(m => m.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "").ToList();
    }

    /// <summary>An admin client minted from the cluster CA, as Get-PacketKubeconfig does.</summary>
    private static Kubernetes Client(ClusterPki pki, string server, TimeSpan? timeout = null)
    {
        var admin = AdminKubeconfig.Create("ha-test", server, pki.ClusterCa);
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(new MemoryStream(Encoding.UTF8.GetBytes(admin)));
        config.HttpClientTimeout = timeout ?? TimeSpan.FromSeconds(30);
        return new Kubernetes(config);
    }

    private static async Task<string> PublicIpv4Async(TestSimulator sim, string device) =>
        (await sim.GetAsync($"devices/{device}"))["ip_addresses"]!.AsArray()
            .First(a => a!["public"]!.GetValue<bool>() && a["address_family"]!.GetValue<int>() == 4)!["address"]!.GetValue<string>();

    private static async Task<string> ConsoleAsync(HttpClient admin, string device) => await admin.GetStringAsync($"devices/{device}/console");

    private static async Task<string> Consoles(HttpClient admin, IEnumerable<string> devices)
    {
        var text = new StringBuilder();
        foreach (var device in devices) text.AppendLine($"--- {device}").AppendLine(await ConsoleAsync(admin, device));
        return text.ToString();
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> probe, TimeSpan timeout, Func<Task<string>> describe) where T : class =>
        await WaitForAsync(() => Task.FromResult(probe()), timeout, describe);

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, Func<Task<string>> describe) where T : class
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value) return value;
            if (clock.Elapsed > timeout) Assert.Fail($"not reached within {timeout.TotalSeconds:F0} s; consoles:\n{await describe()}");
            await Task.Delay(250);
        }
    }

    /// <summary>The kubelets are not what this test is about; it records nothing and starts nothing.</summary>
    private sealed class NoKubelets : IKubeletLauncher
    {
        public IAsyncDisposable Start(KubeletJoinRequest request, IConsoleLog console) => new Stopper();

        private sealed class Stopper : IAsyncDisposable
        {
            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
