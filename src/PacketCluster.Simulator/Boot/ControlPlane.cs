using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace PacketCluster.Simulator.Boot;

/// <summary>
/// <c>kubeadm init</c> on a simulated machine: certificates from the CAs the userdata wrote, then a real etcd,
/// kube-apiserver, kube-controller-manager and kube-scheduler (v1.20.2) bound to the machine's public IPv4, then kubeadm's post-init
/// objects (<see cref="PostInit"/>). Every wait has a bound; a failure throws with a console-ready message.
/// </summary>
public sealed class ControlPlane : IAsyncDisposable
{
    public const int ApiServerPort = 6443;
    public const int EtcdClientPort = 2379;
    private const int EtcdPeerPort = 2380;
    private const int EtcdMetricsPort = 2381;
    private const int ControllerManagerPort = 10257;
    private const int SchedulerPort = 10259;

    /// <summary>Bounds each component's readiness. A quiet 2-core machine needs ~10 s for all three; loaded ones much more.</summary>
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The controllers a cluster needs to join nodes and run workloads (Deployments, DaemonSets, StatefulSets, Jobs, pod
    /// CIDRs, orphaned-pod cleanup). Left out: those that need a cloud provider or volumes (route, service,
    /// attachdetach, persistentvolume-*) and the ones nothing here uses, to keep a 2-core machine's load down.
    /// </summary>
    private static readonly string[] Controllers =
    [
        "csrapproving", "csrsigning", "bootstrapsigner", "tokencleaner", "nodelifecycle",
        "serviceaccount-token", "serviceaccount", "garbagecollector", "namespace",
        "deployment", "replicaset", "daemonset", "statefulset", "job", "nodeipam", "podgc", "ttl",
    ];

    private readonly List<KubeProcess> _processes = [];
    private readonly IConsoleLog _console;

    private readonly EtcdJoin? _join;
    private readonly string _verb;

    private ControlPlane(IConsoleLog console, IPAddress address, EtcdJoin? join)
    {
        _console = console;
        Address = address;
        _join = join;
        _verb = join is null ? "kubeadm init" : "kubeadm join";
    }

    public IPAddress Address { get; }
    public string Server => $"https://{Address}:{ApiServerPort}";
    public IReadOnlyList<KubeProcess> Processes => _processes;

    /// <summary>The cluster CA (PEM) and the admin kubeconfig path (inside the machine root), for post-init and the kubelet.</summary>
    public string CaCertificatePem { get; private set; } = "";
    public string AdminKubeconfigPath { get; private set; } = "";
    public IssuedPem NodeClient { get; private set; } = null!;

    /// <param name="host">Maps machine paths into the device root.</param>
    /// <param name="apiServerNames">Extra SANs of the serving certificate (elastic IPs, endpoint host, certSANs).</param>
    /// <param name="join">Null for <c>kubeadm init</c> (a new one-member etcd); for <c>kubeadm join --control-plane</c>,
    /// the running members this one is added to. A joining control plane needs the shared CAs in the userdata.</param>
    public static async Task<ControlPlane> StartAsync(
        MachineRoot host, KubeadmSettings settings, KubeBinaries binaries, IPAddress address, string nodeName,
        IEnumerable<string> apiServerNames, IConsoleLog console, CancellationToken cancel, EtcdJoin? join = null)
    {
        var plane = new ControlPlane(console, address, join);
        try
        {
            await plane.RunAsync(host, settings, binaries, nodeName, apiServerNames, cancel);
            return plane;
        }
        catch
        {
            await plane.DisposeAsync();
            throw;
        }
    }

    private async Task RunAsync(MachineRoot host, KubeadmSettings settings, KubeBinaries binaries, string nodeName, IEnumerable<string> apiServerNames, CancellationToken cancel)
    {
        var started = Stopwatch.StartNew();
        var pki = host.Path(settings.CertificatesDir);
        var files = WritePki(host, pki, settings, nodeName, apiServerNames);

        var etcdData = host.Path("/var/lib/etcd");
        MachineRoot.CreateDirectory(etcdData);
        // Stacked etcd as kubeadm runs it: TLS for clients and peers from the etcd CA, client certificates required;
        // only the metrics listener (kubeadm's liveness probe target) is plain http.
        var etcdClient = $"https://{Address}:{EtcdClientPort}";
        var etcdPeer = $"https://{Address}:{EtcdPeerPort}";
        var etcdMetrics = $"http://{Address}:{EtcdMetricsPort}";
        var etcd = await StartEtcdAsync(host, binaries, nodeName, etcdData, files, cancel);

        var apiserver = Start(host, "kube-apiserver", binaries.KubeApiserver,
        [
            $"--etcd-servers={etcdClient}",
            $"--etcd-cafile={files.EtcdCa}", $"--etcd-certfile={files.ApiServerEtcdClientCert}", $"--etcd-keyfile={files.ApiServerEtcdClientKey}",
            $"--bind-address={Address}", $"--advertise-address={Address}", $"--secure-port={ApiServerPort}", "--insecure-port=0",
            $"--tls-cert-file={files.ApiServerCert}", $"--tls-private-key-file={files.ApiServerKey}",
            $"--client-ca-file={files.Ca}",
            "--authorization-mode=Node,RBAC", "--enable-admission-plugins=NodeRestriction", "--enable-bootstrap-token-auth=true",
            "--allow-privileged=true",
            $"--service-account-key-file={files.SaPub}", $"--service-account-signing-key-file={files.SaKey}",
            $"--service-account-issuer=https://kubernetes.default.svc.{settings.DnsDomain}", $"--service-cluster-ip-range={settings.ServiceSubnet}",
            $"--requestheader-client-ca-file={files.FrontProxyCa}", "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-username-headers=X-Remote-User", "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            $"--proxy-client-cert-file={files.FrontProxyClientCert}", $"--proxy-client-key-file={files.FrontProxyClientKey}",
            // kubectl logs goes through the kubelet API on the node's InternalIP (loopback here), never a host name.
            $"--kubelet-client-certificate={files.KubeletClientCert}", $"--kubelet-client-key={files.KubeletClientKey}",
            "--kubelet-preferred-address-types=InternalIP,ExternalIP",
            // A loopback advertise address is not a valid Endpoints address; the reconciler would complain every 10 s.
            "--endpoint-reconciler-type=none",
            "--enable-priority-and-fairness=false",
            "--logtostderr=true", "--v=1",
        ], $"https://{Address}:{ApiServerPort}");
        await WaitAsync(apiserver, $"{Server}/readyz", trustCa: true, cancel);

        var self = new ControlPlaneEndpoint(nodeName, Address.ToString(), ApiServerPort);
        if (_join is null) await PostInit.RunAsync(AdminKubeconfigPath, settings, CaCertificatePem, Server, self, _console, apiserver, cancel);
        else await PostInit.RecordControlPlaneAsync(AdminKubeconfigPath, self, _console, apiserver, cancel);

        var controllerManager = Start(host, "kube-controller-manager", binaries.KubeControllerManager,
        [
            $"--kubeconfig={files.ControllerManagerConf}",
            $"--authentication-kubeconfig={files.ControllerManagerConf}", $"--authorization-kubeconfig={files.ControllerManagerConf}",
            $"--bind-address={Address}", $"--secure-port={ControllerManagerPort}", "--port=0",
            $"--tls-cert-file={files.ControllerManagerCert}", $"--tls-private-key-file={files.ControllerManagerKey}",
            $"--cluster-signing-cert-file={files.Ca}", $"--cluster-signing-key-file={files.CaKey}",
            $"--root-ca-file={files.Ca}", $"--service-account-private-key-file={files.SaKey}",
            "--use-service-account-credentials=true",
            $"--controllers={string.Join(',', Controllers)}",
            .. PodNetwork(settings),
            // As kubeadm's static pods: only the elected one of several control planes runs the controllers.
            "--leader-elect=true",
            "--logtostderr=true", "--v=1",
        ], $"https://{Address}:{ControllerManagerPort}");
        await WaitAsync(controllerManager, $"https://{Address}:{ControllerManagerPort}/healthz", trustCa: true, cancel);

        var scheduler = Start(host, "kube-scheduler", binaries.KubeScheduler,
        [
            $"--kubeconfig={files.SchedulerConf}",
            $"--authentication-kubeconfig={files.SchedulerConf}", $"--authorization-kubeconfig={files.SchedulerConf}",
            $"--bind-address={Address}", $"--secure-port={SchedulerPort}", "--port=0",
            $"--tls-cert-file={files.SchedulerCert}", $"--tls-private-key-file={files.SchedulerKey}",
            "--leader-elect=true",
            "--logtostderr=true", "--v=1",
        ], $"https://{Address}:{SchedulerPort}");
        await WaitAsync(scheduler, $"https://{Address}:{SchedulerPort}/healthz", trustCa: true, cancel);
        _console.WriteLine($"{_verb}: control plane ready at {Server} in {started.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>As kubeadm with a pod network: node CIDRs from networking.podSubnet; none without one.</summary>
    private static string[] PodNetwork(KubeadmSettings settings) =>
        settings.PodSubnet is { Length: > 0 } pods ? ["--allocate-node-cidrs=true", $"--cluster-cidr={pods}"] : [];

    /// <summary>How many times a joining member is restarted when another member's add changed the cluster under it.</summary>
    private const int MaxEtcdStarts = 4;

    /// <summary>
    /// Stacked etcd as kubeadm runs it: TLS for clients and peers from the etcd CA, client certificates required; only
    /// the metrics listener (kubeadm's liveness probe target) is plain http. A joining member is first added through a
    /// running member; if another control plane's add lands between that and this member's start, etcd refuses the
    /// start ("member count is unequal") and it is started again with the membership as it is now.
    /// </summary>
    private async Task<KubeProcess> StartEtcdAsync(MachineRoot host, KubeBinaries binaries, string nodeName, string etcdData, PkiFiles files, CancellationToken cancel)
    {
        var etcdClient = $"https://{Address}:{EtcdClientPort}";
        var etcdPeer = $"https://{Address}:{EtcdPeerPort}";
        var etcdMetrics = $"http://{Address}:{EtcdMetricsPort}";
        string[] common =
        [
            $"--name={nodeName}", $"--data-dir={etcdData}",
            $"--listen-client-urls={etcdClient}", $"--advertise-client-urls={etcdClient}",
            $"--listen-peer-urls={etcdPeer}", $"--initial-advertise-peer-urls={etcdPeer}",
            $"--listen-metrics-urls={etcdMetrics}",
            $"--cert-file={files.EtcdServerCert}", $"--key-file={files.EtcdServerKey}", "--client-cert-auth=true", $"--trusted-ca-file={files.EtcdCa}",
            $"--peer-cert-file={files.EtcdPeerCert}", $"--peer-key-file={files.EtcdPeerKey}", "--peer-client-cert-auth=true", $"--peer-trusted-ca-file={files.EtcdCa}",
        ];
        // A member with a write-ahead log restarts from it (a power cycle): etcd ignores the initial-cluster flags then.
        var restarting = Directory.Exists(Path.Combine(etcdData, "member", "wal"));
        if (_join is null || restarting)
        {
            var alone = Start(host, "etcd", binaries.Etcd, [.. common, $"--initial-cluster={nodeName}={etcdPeer}",
                _join is null ? "--initial-cluster-state=new" : "--initial-cluster-state=existing"], $"client {etcdClient}");
            await WaitAsync(alone, $"{etcdMetrics}/health", trustCa: false, cancel);
            return alone;
        }

        using var membership = new EtcdMembership(_join.ClientUrls, File.ReadAllText(files.EtcdCa),
            File.ReadAllText(files.ApiServerEtcdClientCert), File.ReadAllText(files.ApiServerEtcdClientKey), _console);
        var initialCluster = await membership.AddAsync(nodeName, etcdPeer, cancel);
        for (var attempt = 1; ; attempt++)
        {
            var etcd = Start(host, "etcd", binaries.Etcd, [.. common, $"--initial-cluster={initialCluster}", "--initial-cluster-state=existing"], $"client {etcdClient}");
            try
            {
                await WaitAsync(etcd, $"{etcdMetrics}/health", trustCa: false, cancel);
                return etcd;
            }
            catch (BootException) when (etcd.HasExited && attempt < MaxEtcdStarts && etcd.Tail(30).Contains("member count is unequal", StringComparison.Ordinal))
            {
                _console.WriteLine("etcd: another control plane joined meanwhile; starting again with the current membership");
                await etcd.DisposeAsync();
                _processes.Remove(etcd);
                initialCluster = await membership.InitialClusterAsync(nodeName, etcdPeer, cancel);
            }
        }
    }

    private sealed record PkiFiles(
        string Ca, string CaKey, string ApiServerCert, string ApiServerKey, string SaPub, string SaKey,
        string FrontProxyCa, string FrontProxyClientCert, string FrontProxyClientKey,
        string ControllerManagerConf, string ControllerManagerCert, string ControllerManagerKey,
        string SchedulerConf, string SchedulerCert, string SchedulerKey, string KubeletClientCert, string KubeletClientKey,
        string EtcdCa, string EtcdServerCert, string EtcdServerKey, string EtcdPeerCert, string EtcdPeerKey,
        string ApiServerEtcdClientCert, string ApiServerEtcdClientKey);

    private PkiFiles WritePki(MachineRoot host, string pki, KubeadmSettings settings, string nodeName, IEnumerable<string> apiServerNames)
    {
        MachineRoot.CreateDirectory(pki);
        using var ca = LoadOrGenerateCa(host, pki, "ca", "kubernetes", settings.CertificatesDir);
        using var frontProxyCa = LoadOrGenerateCa(host, pki, "front-proxy-ca", "front-proxy-ca", settings.CertificatesDir);
        MachineRoot.CreateDirectory(Path.Combine(pki, "etcd"));
        using var etcdCa = LoadOrGenerateCa(host, pki, "etcd/ca", "etcd-ca", settings.CertificatesDir);
        if (!File.Exists(Path.Combine(pki, "sa.key")) || !File.Exists(Path.Combine(pki, "sa.pub")))
        {
            if (_join is not null)
                throw new BootException($"{settings.CertificatesDir}/sa.key or sa.pub is missing: a joining control plane signs and checks service-account tokens with the cluster's key pair, which the userdata must bring");
            var (privatePem, publicPem) = BootCa.GenerateServiceAccountKey();
            host.WriteSecret(Path.Combine(pki, "sa.key"), privatePem);
            host.WriteSecret(Path.Combine(pki, "sa.pub"), publicPem);
            _console.WriteLine($"kubeadm init: generated the service-account key pair ({settings.CertificatesDir}/sa.key, sa.pub)");
        }
        CaCertificatePem = ca.CertificatePem;

        var names = new List<string> { nodeName, "kubernetes", "kubernetes.default", "kubernetes.default.svc", $"kubernetes.default.svc.{settings.DnsDomain}" };
        var addresses = new List<IPAddress> { Address, BootCa.FirstServiceAddress(settings.ServiceSubnet) };
        foreach (var name in apiServerNames)
        {
            if (IPAddress.TryParse(name, out var ip)) addresses.Add(ip);
            else if (name.Length > 0) names.Add(name);
        }
        var serving = ca.IssueServing("kube-apiserver", names, addresses);
        var frontProxyClient = frontProxyCa.IssueClient("front-proxy-client", []);
        var controllerManagerServing = ca.IssueServing("kube-controller-manager", ["localhost"], [Address]);
        var controllerManagerClient = ca.IssueClient("system:kube-controller-manager", []);
        var schedulerServing = ca.IssueServing("kube-scheduler", ["localhost"], [Address]);
        var schedulerClient = ca.IssueClient("system:kube-scheduler", []);
        // kubeadm's apiserver-kubelet-client: the API server's identity towards the kubelets (logs, exec).
        var kubeletClient = ca.IssueClient("kube-apiserver-kubelet-client", ["system:masters"]);
        var admin = ca.IssueClient("kubernetes-admin", ["system:masters"]);
        // kubeadm's etcd/server.crt and etcd/peer.crt name the node, localhost and the node's address.
        string[] etcdNames = [nodeName, "localhost"];
        IPAddress[] etcdAddresses = [Address, IPAddress.Loopback];
        var etcdServer = etcdCa.IssueServingAndClient(nodeName, etcdNames, etcdAddresses);
        var etcdPeer = etcdCa.IssueServingAndClient(nodeName, etcdNames, etcdAddresses);
        var apiServerEtcdClient = etcdCa.IssueClient("kube-apiserver-etcd-client", ["system:masters"]);
        NodeClient = ca.IssueClient($"system:node:{nodeName}", ["system:nodes"]);
        _console.WriteLine($"{_verb}: issued the kube-apiserver serving certificate from {ca.Subject} for " +
                           $"{string.Join(", ", names.Concat(addresses.Select(a => a.ToString())).Distinct())}");

        var kubernetes = host.Path("/etc/kubernetes");
        AdminKubeconfigPath = Path.Combine(kubernetes, "admin.conf");
        host.WriteSecret(AdminKubeconfigPath, Kubeconfig(settings.ClusterName, Server, ca.CertificatePem, "kubernetes-admin", admin));
        var controllerManagerConf = Path.Combine(kubernetes, "controller-manager.conf");
        host.WriteSecret(controllerManagerConf, Kubeconfig(settings.ClusterName, Server, ca.CertificatePem, "system:kube-controller-manager", controllerManagerClient));
        var schedulerConf = Path.Combine(kubernetes, "scheduler.conf");
        host.WriteSecret(schedulerConf, Kubeconfig(settings.ClusterName, Server, ca.CertificatePem, "system:kube-scheduler", schedulerClient));
        _console.WriteLine($"{_verb}: wrote /etc/kubernetes/admin.conf, controller-manager.conf and scheduler.conf");

        return new PkiFiles(
            Ca: Path.Combine(pki, "ca.crt"), CaKey: Path.Combine(pki, "ca.key"),
            ApiServerCert: host.WriteSecret(Path.Combine(pki, "apiserver.crt"), serving.CertificatePem),
            ApiServerKey: host.WriteSecret(Path.Combine(pki, "apiserver.key"), serving.KeyPem),
            SaPub: Path.Combine(pki, "sa.pub"), SaKey: Path.Combine(pki, "sa.key"),
            FrontProxyCa: Path.Combine(pki, "front-proxy-ca.crt"),
            FrontProxyClientCert: host.WriteSecret(Path.Combine(pki, "front-proxy-client.crt"), frontProxyClient.CertificatePem),
            FrontProxyClientKey: host.WriteSecret(Path.Combine(pki, "front-proxy-client.key"), frontProxyClient.KeyPem),
            ControllerManagerConf: controllerManagerConf,
            ControllerManagerCert: host.WriteSecret(Path.Combine(pki, "controller-manager.crt"), controllerManagerServing.CertificatePem),
            ControllerManagerKey: host.WriteSecret(Path.Combine(pki, "controller-manager.key"), controllerManagerServing.KeyPem),
            SchedulerConf: schedulerConf,
            SchedulerCert: host.WriteSecret(Path.Combine(pki, "scheduler.crt"), schedulerServing.CertificatePem),
            SchedulerKey: host.WriteSecret(Path.Combine(pki, "scheduler.key"), schedulerServing.KeyPem),
            KubeletClientCert: host.WriteSecret(Path.Combine(pki, "apiserver-kubelet-client.crt"), kubeletClient.CertificatePem),
            KubeletClientKey: host.WriteSecret(Path.Combine(pki, "apiserver-kubelet-client.key"), kubeletClient.KeyPem),
            EtcdCa: Path.Combine(pki, "etcd", "ca.crt"),
            EtcdServerCert: host.WriteSecret(Path.Combine(pki, "etcd", "server.crt"), etcdServer.CertificatePem),
            EtcdServerKey: host.WriteSecret(Path.Combine(pki, "etcd", "server.key"), etcdServer.KeyPem),
            EtcdPeerCert: host.WriteSecret(Path.Combine(pki, "etcd", "peer.crt"), etcdPeer.CertificatePem),
            EtcdPeerKey: host.WriteSecret(Path.Combine(pki, "etcd", "peer.key"), etcdPeer.KeyPem),
            ApiServerEtcdClientCert: host.WriteSecret(Path.Combine(pki, "apiserver-etcd-client.crt"), apiServerEtcdClient.CertificatePem),
            ApiServerEtcdClientKey: host.WriteSecret(Path.Combine(pki, "apiserver-etcd-client.key"), apiServerEtcdClient.KeyPem));
    }

    private BootCa LoadOrGenerateCa(MachineRoot host, string pki, string baseName, string commonName, string shownDir)
    {
        var certPath = Path.Combine(pki, baseName + ".crt");
        var keyPath = Path.Combine(pki, baseName + ".key");
        var hasCert = File.Exists(certPath);
        var hasKey = File.Exists(keyPath);
        if (hasCert && hasKey)
        {
            try
            {
                var loaded = BootCa.Load(File.ReadAllText(certPath), File.ReadAllText(keyPath));
                _console.WriteLine($"{_verb}: using the {baseName} from the userdata ({shownDir}/{baseName}.crt, {loaded.Subject})");
                return loaded;
            }
            catch (CryptographicException e)
            {
                throw new BootException($"{shownDir}/{baseName}.crt/.key cannot be used as a CA: {e.Message}");
            }
        }
        if (hasCert)
            throw new BootException($"{shownDir}/{baseName}.crt exists without {baseName}.key: an external CA is not simulated");
        if (_join is not null)
            throw new BootException($"{shownDir}/{baseName}.crt and .key are missing: a joining control plane needs the cluster's shared CAs in the userdata " +
                                    "(certificate upload with --certificate-key is not simulated)");
        var generated = BootCa.Generate(commonName);
        host.WriteSecret(certPath, generated.CertificatePem);
        host.WriteSecret(keyPath, generated.KeyPem);
        _console.WriteLine($"kubeadm init: the userdata brought no {baseName}; generated one ({generated.Subject})");
        return generated;
    }

    /// <summary>A kubeconfig with embedded client certificate data (written 0600; it holds a key).</summary>
    internal static string Kubeconfig(string cluster, string server, string caPem, string user, IssuedPem credentials)
    {
        static string B64(string pem) => Convert.ToBase64String(Encoding.UTF8.GetBytes(pem));
        return $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: {cluster}
              cluster:
                server: {server}
                certificate-authority-data: {B64(caPem)}
            users:
            - name: {user}
              user:
                client-certificate-data: {B64(credentials.CertificatePem)}
                client-key-data: {B64(credentials.KeyPem)}
            contexts:
            - name: {user}@{cluster}
              context:
                cluster: {cluster}
                user: {user}
            current-context: {user}@{cluster}

            """;
    }

    private KubeProcess Start(MachineRoot host, string name, string executable, IEnumerable<string> arguments, string listening)
    {
        var process = KubeProcess.Start(name, executable, arguments, host.LogDirectory, host.RootDirectory);
        _processes.Add(process);
        _console.WriteLine($"{name}: started pid {process.ProcessId} on {listening} (log /var/log/{name}.log)");
        return process;
    }

    private async Task WaitAsync(KubeProcess process, string url, bool trustCa, CancellationToken cancel)
    {
        var started = Stopwatch.StartNew();
        using var http = new HttpClient(Handler(trustCa ? CaCertificatePem : null)) { Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            if (process.HasExited)
                throw new BootException($"{process.Name} (pid {process.ProcessId}) exited with code {process.ExitCode}: {process.Tail()}");
            if (await AnswersOkAsync(http, url, cancel))
            {
                _console.WriteLine($"{process.Name}: ready after {started.Elapsed.TotalSeconds:F1} s ({url})");
                return;
            }
            if (started.Elapsed > ReadyTimeout)
                throw new BootException($"{process.Name} (pid {process.ProcessId}) not ready after {ReadyTimeout.TotalSeconds:F0} s at {url}: {process.Tail()}");
            await Task.Delay(PollInterval, cancel);
        }
    }

    /// <summary>True when <paramref name="url"/> answers 200; false while nothing listens or the answer is slow.</summary>
    internal static async Task<bool> AnswersOkAsync(HttpClient http, string url, CancellationToken cancel = default)
    {
        try
        {
            using var response = await http.GetAsync(url, cancel);
            return response.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Trusts <paramref name="caPem"/> only (like a kubeconfig), or for plain http nothing at all.</summary>
    internal static HttpClientHandler Handler(string? caPem)
    {
        var handler = new HttpClientHandler { UseProxy = false };
        if (caPem is null) return handler;
        var ca = X509Certificate2.CreateFromPem(caPem);
        handler.ServerCertificateCustomValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
            return Kubelet.ClusterTrust.ChainsTo(new X509Certificate2Collection(ca), certificate);
        };
        return handler;
    }

    /// <summary>Stops the processes in reverse start order (controllers first, etcd last).</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            var process = _processes[i];
            await process.DisposeAsync();
            _console.WriteLine($"{process.Name}: stopped pid {process.ProcessId}");
        }
    }
}

/// <summary>A boot step failed; the message is fit for the console (no keys, no tokens).</summary>
public sealed class BootException(string message) : Exception(message);
