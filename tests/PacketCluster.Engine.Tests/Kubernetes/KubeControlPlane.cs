using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using k8s;
using PacketCluster.Engine.Pki;
using PacketCluster.Simulator.Boot;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>
/// A real etcd 3.4 + kube-apiserver 1.20.2 + kube-controller-manager on 127.0.0.1, with a throw-away PKI made by the
/// engine itself (so every test against it also proves the PKI). Shared by all tests in the "kube-control-plane"
/// collection: one start (about 6-10 s) per test run.
/// </summary>
public sealed class KubeControlPlane : IAsyncLifetime
{
    public const string ClusterName = "kube-test";

    /// <summary>
    /// Bounds the whole start. Measured on two cores: 11 s when quiet, 21-30 s at load average 9-14 (other builds plus
    /// the unit tests running beside it); 90 s leaves room without hiding a hang.
    /// </summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    private static readonly string[] Controllers =
    [
        "csrapproving", "csrsigning", "bootstrapsigner", "tokencleaner",
        "serviceaccount-token", "serviceaccount", "garbagecollector", "namespace",
    ];

    private readonly List<KubeProcess> _processes = [];
    private readonly IMessageSink _diagnostics;
    private string? _directory;

    /// <param name="diagnostics">xunit's sink for fixture messages; the start time shows with diagnosticMessages on.</param>
    public KubeControlPlane(IMessageSink diagnostics)
    {
        _diagnostics = diagnostics;
    }

    /// <summary>How long the start took, PKI included.</summary>
    public TimeSpan StartupDuration { get; private set; }

    public KubeBinaries Binaries { get; private set; } = null!;
    public string BinDirectory => Binaries.Directory;

    /// <summary>https://127.0.0.1:&lt;port&gt;</summary>
    public string Server { get; private set; } = null!;

    /// <summary>An admin kubeconfig (kubernetes-admin, system:masters) written by <see cref="AdminKubeconfig.Create(string, string, CertificateAuthority, TimeSpan?)"/>; mode 0600.</summary>
    public string KubeconfigPath { get; private set; } = null!;

    public ClusterPki Pki { get; private set; } = null!;

    /// <summary>A temp directory owned by the fixture, removed on dispose; tests may put scratch files in it.</summary>
    public string WorkDirectory => _directory ?? throw new InvalidOperationException("The control plane has not started.");

    public IKubernetes CreateClient() => new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));

    /// <summary>A client as some other user: a certificate from the cluster CA for <paramref name="commonName"/>.</summary>
    public IKubernetes CreateClient(string commonName, IReadOnlyList<string> groups)
    {
        var certificate = Pki.ClusterCa.IssueClientCertificate(commonName, groups);
        var path = WriteFile($"kubeconfig-{Guid.NewGuid():N}", AdminKubeconfig.Create(ClusterName, Server, Pki.ClusterCa.CertificatePem, commonName, certificate));
        return new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));
    }

    /// <summary>An HttpClient with no credentials that verifies the server against the cluster CA only, for raw requests.</summary>
    public HttpClient CreateHttpClient() => new(TrustingClusterCa()) { BaseAddress = new Uri(Server) };

    public async Task InitializeAsync()
    {
        Binaries = KubeBinaries.Locate();
        _directory = Path.Combine(Path.GetTempPath(), $"packetcluster-kube-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var started = Stopwatch.StartNew();
        try
        {
            var ports = new Ports();
            Server = $"https://127.0.0.1:{ports.ApiServer}";
            var files = WritePki(ports);
            var pkiReady = started.Elapsed;

            var etcd = Start("etcd", Binaries.Etcd, EtcdArguments(ports));
            await WaitUntilAsync(etcd, started, () => IsHealthyAsync($"http://127.0.0.1:{ports.EtcdClient}/health"), "etcd /health");
            var etcdReady = started.Elapsed;

            var apiserver = Start("kube-apiserver", Binaries.KubeApiserver, ApiServerArguments(ports, files));
            await WaitUntilAsync(apiserver, started, () => IsHealthyAsync($"{Server}/readyz"), "kube-apiserver /readyz");
            // kube-system appears a moment after /readyz on some starts; tests assume it.
            using var admin = CreateClient();
            await WaitUntilAsync(apiserver, started, () => NamespaceExistsAsync(admin, "kube-system"), "namespace kube-system");
            var apiserverReady = started.Elapsed;

            var controllerManager = Start("kube-controller-manager", Binaries.KubeControllerManager, ControllerManagerArguments(ports, files));
            await WaitUntilAsync(controllerManager, started, () => IsHealthyAsync($"https://127.0.0.1:{ports.ControllerManager}/healthz"), "kube-controller-manager /healthz");

            StartupDuration = started.Elapsed;
            _diagnostics.OnMessage(new DiagnosticMessage(
                $"KubeControlPlane: {Server} ready in {StartupDuration.TotalSeconds:F1} s (PKI {pkiReady.TotalSeconds:F1} s, " +
                $"etcd {etcdReady.TotalSeconds:F1} s, kube-apiserver {apiserverReady.TotalSeconds:F1} s, controller-manager {StartupDuration.TotalSeconds:F1} s; {WorkDirectory})"));
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public async Task DisposeAsync()
    {
        // Reverse start order: controllers first, etcd last, so nobody logs about a vanished dependency.
        for (var i = _processes.Count - 1; i >= 0; i--)
            await _processes[i].DisposeAsync();
        _processes.Clear();

        if (_directory is not null && Directory.Exists(_directory))
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a leftover /tmp directory must not fail the run.
            }
        }
    }

    private sealed record PkiFiles(
        string CaCertificate, string CaKey, string ApiServerCertificate, string ApiServerKey,
        string ServiceAccountPublicKey, string ServiceAccountPrivateKey,
        string FrontProxyCa, string FrontProxyClientCertificate, string FrontProxyClientKey,
        string ControllerManagerKubeconfig, string ControllerManagerCertificate, string ControllerManagerKey);

    private sealed class Ports
    {
        public int EtcdClient { get; } = LoopbackPort.PickFree();
        public int EtcdPeer { get; } = LoopbackPort.PickFree();
        public int EtcdMetrics { get; } = LoopbackPort.PickFree();
        public int ApiServer { get; } = LoopbackPort.PickFree();
        public int ControllerManager { get; } = LoopbackPort.PickFree();
    }

    private PkiFiles WritePki(Ports ports)
    {
        Pki = ClusterPki.Generate(ClusterName);
        var ca = Pki.ClusterCa;

        var apiserver = ca.IssueServingCertificate(
            "kube-apiserver",
            ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"],
            [IPAddress.Loopback, IPAddress.Parse("10.96.0.1")]);
        var controllerManagerServing = ca.IssueServingCertificate("kube-controller-manager", ["localhost"], [IPAddress.Loopback]);
        var controllerManagerClient = ca.IssueClientCertificate("system:kube-controller-manager", []);
        var frontProxyClient = Pki.FrontProxyCa.IssueClientCertificate("front-proxy-client", []);

        KubeconfigPath = WriteFile("admin.conf", AdminKubeconfig.Create(ClusterName, Server, ca));
        return new PkiFiles(
            CaCertificate: WriteFile("ca.crt", ca.CertificatePem),
            CaKey: WriteFile("ca.key", ca.PrivateKeyPem),
            ApiServerCertificate: WriteFile("apiserver.crt", apiserver.CertificatePem),
            ApiServerKey: WriteFile("apiserver.key", apiserver.PrivateKeyPem),
            ServiceAccountPublicKey: WriteFile("sa.pub", Pki.ServiceAccount.PublicKeyPem),
            ServiceAccountPrivateKey: WriteFile("sa.key", Pki.ServiceAccount.PrivateKeyPem),
            FrontProxyCa: WriteFile("front-proxy-ca.crt", Pki.FrontProxyCa.CertificatePem),
            FrontProxyClientCertificate: WriteFile("front-proxy-client.crt", frontProxyClient.CertificatePem),
            FrontProxyClientKey: WriteFile("front-proxy-client.key", frontProxyClient.PrivateKeyPem),
            ControllerManagerKubeconfig: WriteFile("controller-manager.conf",
                AdminKubeconfig.Create(ClusterName, Server, ca.CertificatePem, "system:kube-controller-manager", controllerManagerClient)),
            ControllerManagerCertificate: WriteFile("controller-manager.crt", controllerManagerServing.CertificatePem),
            ControllerManagerKey: WriteFile("controller-manager.key", controllerManagerServing.PrivateKeyPem));
    }

    private IEnumerable<string> EtcdArguments(Ports ports)
    {
        var client = $"http://127.0.0.1:{ports.EtcdClient}";
        var peer = $"http://127.0.0.1:{ports.EtcdPeer}";
        return
        [
            "--name=test-etcd",
            $"--data-dir={Path.Combine(WorkDirectory, "etcd-data")}",
            $"--listen-client-urls={client}", $"--advertise-client-urls={client}",
            // Own peer and metrics listeners: the defaults (localhost:2380, :2381) collide with any other etcd on the machine.
            $"--listen-peer-urls={peer}", $"--initial-advertise-peer-urls={peer}", $"--initial-cluster=test-etcd={peer}",
            $"--listen-metrics-urls=http://127.0.0.1:{ports.EtcdMetrics}",
        ];
    }

    private static IEnumerable<string> ApiServerArguments(Ports ports, PkiFiles files) =>
    [
        $"--etcd-servers=http://127.0.0.1:{ports.EtcdClient}",
        "--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", $"--secure-port={ports.ApiServer}", "--insecure-port=0",
        $"--tls-cert-file={files.ApiServerCertificate}", $"--tls-private-key-file={files.ApiServerKey}",
        $"--client-ca-file={files.CaCertificate}",
        "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction", "--enable-bootstrap-token-auth=true",
        // kubeadm always passes it; the CSI node plugin of the add-ons is privileged.
        "--allow-privileged=true",
        $"--service-account-key-file={files.ServiceAccountPublicKey}", $"--service-account-signing-key-file={files.ServiceAccountPrivateKey}",
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local", "--service-cluster-ip-range=10.96.0.0/12",
        $"--requestheader-client-ca-file={files.FrontProxyCa}", "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        $"--proxy-client-cert-file={files.FrontProxyClientCertificate}", $"--proxy-client-key-file={files.FrontProxyClientKey}",
        // Without it the apiserver tries every 10 s to publish its loopback address as the kubernetes Endpoints, which is invalid.
        "--endpoint-reconciler-type=none",
        "--enable-priority-and-fairness=false",
        "--logtostderr=true", "--v=1",
    ];

    private static IEnumerable<string> ControllerManagerArguments(Ports ports, PkiFiles files) =>
    [
        $"--kubeconfig={files.ControllerManagerKubeconfig}",
        $"--authentication-kubeconfig={files.ControllerManagerKubeconfig}", $"--authorization-kubeconfig={files.ControllerManagerKubeconfig}",
        "--bind-address=127.0.0.1", $"--secure-port={ports.ControllerManager}", "--port=0",
        $"--tls-cert-file={files.ControllerManagerCertificate}", $"--tls-private-key-file={files.ControllerManagerKey}",
        $"--cluster-signing-cert-file={files.CaCertificate}", $"--cluster-signing-key-file={files.CaKey}",
        $"--root-ca-file={files.CaCertificate}", $"--service-account-private-key-file={files.ServiceAccountPrivateKey}",
        // Each controller gets its own service account, as under kubeadm; system:kube-controller-manager alone may not delete everything.
        "--use-service-account-credentials=true",
        $"--controllers={string.Join(',', Controllers)}",
        "--leader-elect=false",
        "--logtostderr=true", "--v=1",
    ];

    private KubeProcess Start(string name, string executable, IEnumerable<string> arguments)
    {
        var process = KubeProcess.Start(name, executable, arguments, WorkDirectory, WorkDirectory);
        _processes.Add(process);
        return process;
    }

    private string WriteFile(string name, string content)
    {
        var path = Path.Combine(WorkDirectory, name);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails with the process log if the process dies or time runs out.</summary>
    private async Task WaitUntilAsync(KubeProcess process, Stopwatch started, Func<Task<bool>> condition, string what)
    {
        while (true)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"Waiting for {what}: {Describe(process)}");
            if (await condition())
                return;
            if (started.Elapsed > StartTimeout)
                throw new TimeoutException($"{what} not ready after {StartTimeout.TotalSeconds:F0} s. {Describe(process)}");
            await Task.Delay(PollInterval);
        }
    }

    private static string Describe(KubeProcess process) => process.HasExited
        ? $"{process.Name} (pid {process.ProcessId}) exited with code {process.ExitCode}; last log lines: {process.Tail(40)}"
        : $"{process.Name} (pid {process.ProcessId}) is running; last log lines: {process.Tail(40)}";

    private async Task<bool> IsHealthyAsync(string url)
    {
        using var http = new HttpClient(TrustingClusterCa()) { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var response = await http.GetAsync(url);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    private static async Task<bool> NamespaceExistsAsync(IKubernetes client, string name)
    {
        try
        {
            await client.CoreV1.ReadNamespaceAsync(name);
            return true;
        }
        catch (k8s.Autorest.HttpOperationException error) when (error.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>Trusts the fixture's cluster CA and nothing else (not the system store), like a kubeconfig does.</summary>
    private HttpClientHandler TrustingClusterCa()
    {
        var ca = X509Certificate2.CreateFromPem(Pki.ClusterCa.CertificatePem);
        return new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
            {
                // Only the chain is judged here; a host-name mismatch or a missing certificate stays fatal.
                if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                    return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate);
            },
        };
    }
}
