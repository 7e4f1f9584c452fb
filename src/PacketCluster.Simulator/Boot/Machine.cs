using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using PacketCluster.Simulator.Boot.Kubelet;

namespace PacketCluster.Simulator.Boot;

/// <summary>The facts of a device a boot needs, copied out of the world under its lock.</summary>
public sealed record DeviceView(
    string Id, string Hostname, string State, string Userdata, IPAddress PublicIpv4, IPAddress PrivateIpv4,
    IReadOnlyList<IPAddress> ElasticIps, NodeCapacity? Capacity = null);

/// <summary>
/// One booted device: runs its userdata in the background (write_files, then kubeadm init/join), holds what that
/// started (control-plane processes, the kubelet, elastic-IP forwarders) and stops all of it on dispose.
/// A failure is written to the console and leaves the device as it is, as on real hardware.
/// </summary>
public sealed class Machine : IAsyncDisposable
{
    private readonly DeviceView _device;
    private readonly IConsoleLog _console;
    private readonly KubeBinaries _binaries;
    private readonly IKubeletLauncher _kubelets;
    private readonly IReadOnlyList<string> _projectElasticIps;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, TcpForwarder> _forwarders = [];
    private readonly HashSet<IPAddress> _forwardFailures = [];
    private Task _boot = Task.CompletedTask;
    private ControlPlane? _controlPlane;
    private IAsyncDisposable? _kubelet;
    private bool _disposed;

    public Machine(DeviceView device, MachineRoot root, IConsoleLog console, KubeBinaries binaries, IKubeletLauncher kubelets, IReadOnlyList<string> projectElasticIps)
    {
        _device = device;
        Root = root;
        _console = console;
        _binaries = binaries;
        _kubelets = kubelets;
        _projectElasticIps = projectElasticIps;
    }

    public MachineRoot Root { get; }
    public string DeviceId => _device.Id;

    /// <summary>Ids of the processes this machine started (running or not), for tests and the console.</summary>
    public IReadOnlyList<int> ProcessIds
    {
        get { lock (_gate) return _controlPlane?.Processes.Select(p => p.ProcessId).ToList() ?? _startedPids.ToList(); }
    }

    private readonly List<int> _startedPids = [];

    /// <summary>True once the control plane answers (tests wait for it).</summary>
    public bool ControlPlaneReady { get { lock (_gate) return _controlPlane is not null; } }

    /// <summary>Completes when the boot has run to its end (successfully or not).</summary>
    public Task Boot => _boot;

    public void Start() => _boot = Task.Run(RunAsync);

    private async Task RunAsync()
    {
        var cancel = _stop.Token;
        _console.WriteLine($"boot: device {_device.Hostname} ({_device.Id}) is active; public IPv4 {_device.PublicIpv4}, private IPv4 {_device.PrivateIpv4}; root folder {Root.RootDirectory}");
        try
        {
            var plan = BootPlan.Parse(_device.Userdata);
            if (plan.Format == "none")
            {
                _console.WriteLine("cloud-init: no userdata; nothing to run");
                return;
            }
            if (plan.Problems.Count > 0)
            {
                foreach (var problem in plan.Problems) _console.WriteLine($"cloud-init: userdata rejected: {problem}");
                _console.WriteLine("cloud-init: nothing was run");
                return;
            }
            _console.WriteLine($"cloud-init: {plan.Format} userdata with {plan.Files.Count} file(s) and {plan.Commands.Count} kubeadm command(s)");
            foreach (var file in plan.Files)
            {
                Root.Write(file.Path, file.Content, file.Mode);
                _console.WriteLine($"cloud-init: wrote {file.Path} ({Convert.ToString((int)file.Mode, 8).PadLeft(4, '0')}, {file.Content.Length} bytes)");
            }
            if (plan.Skipped.Count > 0)
                _console.WriteLine($"cloud-init: {plan.Skipped.Count} other runcmd entr{(plan.Skipped.Count == 1 ? "y" : "ies")} not simulated ({string.Join(", ", plan.Skipped.Distinct())})");
            if (plan.Commands.Count == 0) _console.WriteLine("cloud-init: no kubeadm init/join in runcmd; the machine stays as it is");
            foreach (var command in plan.Commands)
            {
                cancel.ThrowIfCancellationRequested();
                var settings = ReadSettings(command);
                if (settings is null) return;
                if (command.Verb == KubeadmVerb.Init) await InitAsync(settings, cancel);
                else await JoinAsync(settings, cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            _console.WriteLine("boot: interrupted (device stopping)");
        }
        catch (BootException e)
        {
            _console.WriteLine($"boot: failed: {e.Message}");
        }
        catch (Exception e)
        {
            // The boot runs in the background: whatever goes wrong must reach the console, or nobody ever sees it.
            // Our own messages hold no key material; KubernetesClient's name the status, not the body.
            _console.WriteLine($"boot: failed: {e.GetType().Name}: {e.Message}");
        }
    }

    private KubeadmSettings? ReadSettings(KubeadmCommand command)
    {
        var verb = command.Verb == KubeadmVerb.Init ? "kubeadm init" : "kubeadm join";
        try
        {
            if (command.ConfigPath is null) return KubeadmSettings.FromFlags(command);
            var path = Root.Path(command.ConfigPath);
            if (!File.Exists(path))
            {
                _console.WriteLine($"{verb}: failed: config file {command.ConfigPath} does not exist (the userdata did not write it)");
                return null;
            }
            var settings = KubeadmSettings.Parse(File.ReadAllText(path));
            if (command.Verb == KubeadmVerb.Join && !settings.HasJoin)
            {
                _console.WriteLine($"{verb}: failed: {command.ConfigPath} holds no JoinConfiguration");
                return null;
            }
            _console.WriteLine($"{verb}: read {command.ConfigPath} ({settings.ApiVersion})");
            return settings;
        }
        catch (FormatException e)
        {
            _console.WriteLine($"{verb}: failed: {command.ConfigPath ?? "command line"}: {e.Message}");
            return null;
        }
    }

    private async Task InitAsync(KubeadmSettings settings, CancellationToken cancel)
    {
        var missing = _binaries.Missing();
        if (missing.Count > 0)
        {
            _console.WriteLine($"kubeadm init: cannot start the control plane: missing {string.Join(", ", missing)}; {KubeBinaries.BuildHint}");
            return;
        }
        var wanted = settings.KubernetesVersion ?? "unset";
        _console.WriteLine($"kubeadm init: the simulator runs Kubernetes {KubeBinaries.Version} (the config asks for {wanted}); " +
                           $"{settings.BootstrapTokens.Count} bootstrap token(s): {string.Join(", ", settings.BootstrapTokens)}");
        var nodeName = NodeName(settings);
        var names = new List<string> { _device.Hostname };
        if (settings.ControlPlaneEndpoint is { Length: > 0 } endpoint) names.Add(Host(endpoint));
        names.AddRange(settings.CertSans);
        names.AddRange(_projectElasticIps);

        var plane = await ControlPlane.StartAsync(Root, settings, _binaries, _device.PublicIpv4, nodeName, names, _console, cancel);
        await AdoptControlPlaneAsync(plane, settings, nodeName);
    }

    /// <summary>Keeps a started control plane (unless the device stopped meanwhile) and registers its kubelet with the node certificate.</summary>
    private async Task AdoptControlPlaneAsync(ControlPlane plane, KubeadmSettings settings, string nodeName)
    {
        bool keep;
        lock (_gate)
        {
            keep = !_disposed;
            if (keep) _controlPlane = plane;
        }
        if (!keep)
        {
            // Stopped while starting: DisposeAsync is waiting for this boot, so the processes stop before it returns.
            await plane.DisposeAsync();
            return;
        }
        await StartKubeletAsync(new KubeletJoinRequest
        {
            NodeName = nodeName,
            ProviderId = $"packet://{_device.Id}",
            Labels = settings.NodeLabels(),
            Taints = settings.NodeTaints([new k8s.Models.V1Taint { Key = ControlPlaneMarks.MasterRole, Effect = "NoSchedule" }]),
            Addresses = Addresses(nodeName),
            ApiServerEndpoint = $"{_device.PublicIpv4}:{ControlPlane.ApiServerPort}",
            Capacity = _device.Capacity,
            Root = Root,
            ClientCertificatePem = plane.NodeClient.CertificatePem,
            ClientKeyPem = plane.NodeClient.KeyPem,
            CaCertificatePem = plane.CaCertificatePem,
        });
        // kubeadm's mark-control-plane phase: the role labels, which NodeRestriction keeps a kubelet from setting itself.
        _marking = ControlPlaneMarks.ApplyAsync(plane.AdminKubeconfigPath, nodeName, _console, _stop.Token);
    }

    private Task _marking = Task.CompletedTask;

    /// <summary>
    /// <c>kubeadm join --control-plane</c>: discovery as for a worker (the token's signature and the CA pin), then the
    /// shared CA in the userdata must be the one it proved; with an admin certificate from that CA it reads
    /// kube-system/kubeadm-config for the cluster's settings and the running control planes, adds an etcd member
    /// through one of them, and starts etcd, kube-apiserver and kube-controller-manager here.
    /// </summary>
    private async Task JoinControlPlaneAsync(KubeadmSettings settings, CancellationToken cancel)
    {
        var missing = _binaries.Missing();
        if (missing.Count > 0)
        {
            _console.WriteLine($"kubeadm join: cannot start a control plane: missing {string.Join(", ", missing)}; {KubeBinaries.BuildHint}");
            return;
        }
        var nodeName = NodeName(settings);
        if (JoinToken.Split(settings.JoinToken) is not var (id, secret))
            throw new BootException("discovery.bootstrapToken.token does not have the form [a-z0-9]{6}.[a-z0-9]{16}");
        if (settings.CaCertHashes.Count == 0 && !settings.UnsafeSkipCaVerification)
            throw new BootException("discovery.bootstrapToken.caCertHashes is empty: token discovery without a CA pin is unsafe");
        _console.WriteLine($"kubeadm join: control plane {nodeName} joins {settings.JoinEndpoint} with bootstrap token {id}.****, discovery timeout {settings.DiscoveryTimeout}");
        var options = SimulatedKubeletOptions.Default with { DiscoveryTimeout = settings.DiscoveryTimeout };
        var discovery = new TokenDiscovery("https://" + PostInit.WithPort(settings.JoinEndpoint!), id, secret, settings.CaCertHashes,
            settings.UnsafeSkipCaVerification, options, TimeProvider.System, line => _console.WriteLine($"kubeadm join: {line}"));
        DiscoveredCluster cluster;
        try
        {
            cluster = await discovery.RunAsync(cancel);
        }
        catch (KubeletJoinException e)
        {
            throw new BootException(e.Message);
        }

        var pki = Root.Path(settings.CertificatesDir);
        var caCert = Path.Combine(pki, "ca.crt");
        var caKey = Path.Combine(pki, "ca.key");
        if (!File.Exists(caCert) || !File.Exists(caKey))
            throw new BootException($"{settings.CertificatesDir}/ca.crt and ca.key are missing: a joining control plane needs the cluster's shared CAs in the userdata");
        using var ca = BootCa.Load(File.ReadAllText(caCert), File.ReadAllText(caKey));
        var localPin = ClusterTrust.PinOf(X509Certificate2.CreateFromPem(ca.CertificatePem));
        if (!cluster.CertificateAuthorities.Any(a => ClusterTrust.PinOf(a) == localPin))
            throw new BootException($"{settings.CertificatesDir}/ca.crt ({localPin}) is not the CA the cluster at {settings.JoinEndpoint} uses: the shared certificates belong to another cluster");

        var admin = ca.IssueClient("kubernetes-admin", ["system:masters"]);
        var kubeconfig = ControlPlane.Kubeconfig(settings.ClusterName, cluster.Server, ca.CertificatePem, "kubernetes-admin", admin);
        using var client = new Kubernetes(await KubernetesClientConfiguration.BuildConfigFromConfigFileAsync(new MemoryStream(Encoding.UTF8.GetBytes(kubeconfig))));
        var (configuration, endpoints) = await ReadClusterStateAsync(client, settings.DiscoveryTimeout, cancel);
        if (configuration is null) throw new BootException("kube-system/kubeadm-config holds no ClusterConfiguration (was the first control plane set up by kubeadm init?)");
        try
        {
            settings.WithClusterConfiguration(configuration);
        }
        catch (FormatException e)
        {
            throw new BootException($"kube-system/kubeadm-config: {e.Message}");
        }
        var others = endpoints.Where(e => e.AdvertiseAddress != _device.PublicIpv4.ToString()).ToList();
        if (others.Count == 0) throw new BootException("kube-system/kubeadm-config lists no other control plane to join the etcd cluster of");
        _console.WriteLine($"kubeadm join: [preflight] the cluster has {others.Count} control plane(s): {string.Join(", ", others.Select(e => $"{e.NodeName} ({e.AdvertiseAddress})"))}");

        var names = new List<string> { _device.Hostname };
        if (settings.ControlPlaneEndpoint is { Length: > 0 } endpoint) names.Add(Host(endpoint));
        names.AddRange(settings.CertSans);
        names.AddRange(_projectElasticIps);
        var join = new EtcdJoin(others.Select(e => $"https://{e.AdvertiseAddress}:{ControlPlane.EtcdClientPort}").ToList());
        var plane = await ControlPlane.StartAsync(Root, settings, _binaries, _device.PublicIpv4, nodeName, names, _console, cancel, join);
        await AdoptControlPlaneAsync(plane, settings, nodeName);
    }

    private static readonly TimeSpan ClusterStateRetry = TimeSpan.FromSeconds(2);

    /// <summary>Reads kubeadm-config, retrying (bounded by the discovery timeout) while the API through the endpoint does not answer.</summary>
    private async Task<(string? Configuration, List<ControlPlaneEndpoint> Endpoints)> ReadClusterStateAsync(IKubernetes client, TimeSpan bound, CancellationToken cancel)
    {
        var deadline = DateTimeOffset.UtcNow + bound;
        while (true)
        {
            try
            {
                return await KubeadmClusterState.ReadAsync(client, cancel);
            }
            catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException or TaskCanceledException && !cancel.IsCancellationRequested && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(ClusterStateRetry, cancel);
            }
            catch (k8s.Autorest.HttpOperationException e)
            {
                throw new BootException($"cannot read kube-system/kubeadm-config: HTTP {(int)e.Response.StatusCode}");
            }
            catch (FormatException e)
            {
                throw new BootException(e.Message);
            }
        }
    }

    private async Task JoinAsync(KubeadmSettings settings, CancellationToken cancel)
    {
        if (settings.JoinControlPlane)
        {
            await JoinControlPlaneAsync(settings, cancel);
            return;
        }
        var nodeName = NodeName(settings);
        var node = new KubeletJoinRequest
        {
            NodeName = nodeName,
            ProviderId = $"packet://{_device.Id}",
            Labels = settings.NodeLabels(),
            Taints = settings.NodeTaints([]),
            Addresses = Addresses(nodeName),
            ApiServerEndpoint = settings.JoinEndpoint!,
            Capacity = _device.Capacity,
            Root = Root,
        };
        if (Kubelet.KubeletCredentialFiles.TryLoad(Root) is { } saved)
        {
            // Powered on again: cloud-init ran kubeadm join once for this instance; the kubelet starts from what it kept.
            _console.WriteLine($"kubelet: starting node {nodeName} with {Kubelet.KubeletCredentialFiles.KubeconfigPath} (joined on an earlier boot; kubeadm join is not run again)");
            await StartKubeletAsync(node with
            {
                ApiServerEndpoint = new Uri(saved.Server).Authority,
                ClientCertificatePem = saved.CertificatePem, ClientKeyPem = saved.KeyPem, CaCertificatePem = saved.CaPem,
            });
            return;
        }
        var token = settings.JoinToken!;
        var shown = KubeadmSettings.TokenPattern().Match(token) is { Success: true } m ? $"{m.Groups[1].Value}.****" : "(malformed token)";
        _console.WriteLine($"kubeadm join: node {nodeName} joins {settings.JoinEndpoint} with bootstrap token {shown}" +
                           (settings.UnsafeSkipCaVerification ? " without CA verification" : $", CA pinned by {settings.CaCertHashes.Count} hash(es)") +
                           $", discovery timeout {settings.DiscoveryTimeout}");
        await StartKubeletAsync(node with
        {
            Token = token,
            CaCertHashes = settings.CaCertHashes,
            UnsafeSkipCaVerification = settings.UnsafeSkipCaVerification,
            DiscoveryTimeout = settings.DiscoveryTimeout,
        });
    }

    private async Task StartKubeletAsync(KubeletJoinRequest request)
    {
        var kubelet = _kubelets.Start(request, _console);
        lock (_gate)
        {
            if (!_disposed)
            {
                _kubelet = kubelet;
                return;
            }
        }
        await kubelet.DisposeAsync();
    }

    private string NodeName(KubeadmSettings settings) =>
        string.IsNullOrEmpty(settings.NodeName) ? _device.Hostname.ToLowerInvariant() : settings.NodeName;

    private List<KeyValuePair<string, string>> Addresses(string nodeName) =>
    [
        new("ExternalIP", _device.PublicIpv4.ToString()),
        new("InternalIP", _device.PrivateIpv4.ToString()),
        new("Hostname", nodeName),
    ];

    /// <summary>"host:port" or "[v6]:port" → host.</summary>
    internal static string Host(string endpoint)
    {
        if (endpoint.StartsWith('[')) return endpoint[1..endpoint.IndexOf(']')];
        return endpoint.Count(c => c == ':') == 1 ? endpoint[..endpoint.IndexOf(':')] : endpoint;
    }

    /// <summary>
    /// Routes the elastic IPs assigned to this device: with a running control plane, EIP:6443 relays to the device's
    /// apiserver. Called on every reconcile; unassigned addresses stop relaying.
    /// </summary>
    public async Task RouteElasticIpsAsync(IReadOnlyCollection<IPAddress> assigned)
    {
        List<TcpForwarder> stop = [];
        lock (_gate)
        {
            if (_disposed) return;
            foreach (var address in _forwarders.Keys.Where(a => !assigned.Contains(a)).ToList())
            {
                stop.Add(_forwarders[address]);
                _forwarders.Remove(address);
                _console.WriteLine($"network: elastic IP {address} unassigned; {address}:{ControlPlane.ApiServerPort} no longer routed here");
            }
            if (_controlPlane is not null)
            {
                foreach (var address in assigned.Where(a => !_forwarders.ContainsKey(a)))
                {
                    try
                    {
                        _forwarders[address] = TcpForwarder.Start(new IPEndPoint(address, ControlPlane.ApiServerPort), new IPEndPoint(_device.PublicIpv4, ControlPlane.ApiServerPort));
                        _forwardFailures.Remove(address);
                        _console.WriteLine($"network: elastic IP {address} routed here; {address}:{ControlPlane.ApiServerPort} reaches the kube-apiserver");
                    }
                    catch (SocketException e)
                    {
                        if (_forwardFailures.Add(address))
                            _console.WriteLine($"network: cannot route elastic IP {address}:{ControlPlane.ApiServerPort}: {e.SocketErrorCode}");
                    }
                }
            }
        }
        foreach (var forwarder in stop) await forwarder.DisposeAsync();
    }

    /// <summary>Stops the boot, the kubelet, the forwarders and the processes; waits for all of them (each bounded).</summary>
    public async ValueTask DisposeAsync()
    {
        ControlPlane? plane;
        IAsyncDisposable? kubelet;
        List<TcpForwarder> forwarders;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            plane = _controlPlane;
            kubelet = _kubelet;
            forwarders = _forwarders.Values.ToList();
            _forwarders.Clear();
            if (plane is not null) _startedPids.AddRange(plane.Processes.Select(p => p.ProcessId));
            _controlPlane = null;
            _kubelet = null;
        }
        // The elastic IPs go first: a dead holder must not keep accepting connections while its processes stop.
        foreach (var forwarder in forwarders) await forwarder.DisposeAsync();
        await _stop.CancelAsync();
        // A boot still starting processes cleans up after itself (ControlPlane.StartAsync disposes on failure).
        await _boot.WaitAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _marking.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (kubelet is not null)
        {
            try { await kubelet.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)); }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException or IOException) { _console.WriteLine($"kubelet: stop failed: {e.Message}"); }
        }
        if (plane is not null) await plane.DisposeAsync();
        _stop.Dispose();
    }
}
