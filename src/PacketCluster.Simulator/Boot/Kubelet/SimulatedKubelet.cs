using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using PacketCluster.Simulator.Boot.Pods;

namespace PacketCluster.Simulator.Boot.Kubelet;

public enum KubeletState
{
    /// <summary>Token discovery: reading and proving cluster-info.</summary>
    Discovering,

    /// <summary>TLS bootstrap: the node-client CSR is being created, approved and signed.</summary>
    Bootstrapping,

    /// <summary>Creating or updating the Node.</summary>
    Registering,

    /// <summary>The Node exists and is kept Ready by lease and status heartbeats.</summary>
    Registered,

    /// <summary>Gave up; <see cref="SimulatedKubelet.FailureReason"/> says why (also on the console).</summary>
    Failed,

    /// <summary>Disposed (the machine powered off).</summary>
    Stopped,
}

/// <summary>
/// What <c>kubeadm join</c> and the kubelet do on a real machine, against a real API server, minus the containers:
/// bootstrap-token discovery with the CA pin, the TLS bootstrap (a node-client CSR approved and signed by the
/// controller manager), Node registration, and lease and status heartbeats until disposed. Every step is bounded; what
/// goes wrong is written to the device's console, never a credential.
/// </summary>
public sealed class SimulatedKubelet : IAsyncDisposable
{
    internal const string UserAgent = "kubelet/v1.20.2 (linux/amd64) packetcluster-simulator";

    private static readonly TimeSpan RepeatQuietPeriod = TimeSpan.FromMinutes(1);

    private readonly KubeletJoinRequest _request;
    private readonly IConsoleLog _console;
    private readonly SimulatedKubeletOptions _options;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<bool> _registered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string[] _secrets;
    private readonly List<(string Text, DateTimeOffset At)> _repeats = [];
    private Task _run = Task.CompletedTask;
    private volatile KubeletState _state = KubeletState.Discovering;
    private volatile string? _failureReason;

    private SimulatedKubelet(KubeletJoinRequest request, IConsoleLog console, SimulatedKubeletOptions options, TimeProvider time)
    {
        _request = request;
        _console = console;
        _options = options;
        _time = time;
        // Whatever a message might echo by accident is cut out before it reaches the console.
        _secrets = new[] { request.Token, JoinToken.Split(request.Token)?.Secret }.OfType<string>().Where(s => s.Length > 0).ToArray();
    }

    public KubeletState State => _state;

    /// <summary>Why the join failed (the console line without its prefix); null unless <see cref="State"/> is Failed.</summary>
    public string? FailureReason => _failureReason;

    /// <summary>True once the Node is registered and Ready; false if the join failed or the kubelet was stopped first.</summary>
    public Task<bool> Registered => _registered.Task;

    /// <summary>The node-client CSR's name (token mode), once created.</summary>
    public string? CertificateSigningRequestName { get; private set; }

    /// <summary>The client certificate the kubelet talks to the API server with (public; the key never leaves).</summary>
    public string? ClientCertificatePem { get; private set; }

    public string NodeName => _request.NodeName;

    public static SimulatedKubelet Start(KubeletJoinRequest request, IConsoleLog console, TimeProvider? time = null) =>
        Start(request, console, SimulatedKubeletOptions.Default, time);

    /// <summary>Starts joining in the background and returns at once.</summary>
    public static SimulatedKubelet Start(KubeletJoinRequest request, IConsoleLog console, SimulatedKubeletOptions options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(options);
        // kubeadm's discovery timeout from the join config is what a real node would wait.
        if (request.DiscoveryTimeout is { } discovery) options = options with { DiscoveryTimeout = discovery };
        options.Validate();
        var kubelet = new SimulatedKubelet(request, console, options, time ?? TimeProvider.System);
        kubelet._run = Task.Run(() => kubelet.RunAsync(kubelet._stop.Token));
        return kubelet;
    }

    /// <summary>Stops the heartbeats promptly. The Node stays, as a powered-off machine's does, and goes NotReady.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
            await _stop.CancelAsync();
        await _run;
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            var credentials = _request.Token is null ? GivenCredentials() : await BootstrapAsync(stopping);
            // Kept on the machine, as kubeadm and the kubelet keep them: a power cycle restarts from these.
            if (_request.Token is not null && _request.Root is { } root) KubeletCredentialFiles.Save(root, credentials);
            ClientCertificatePem = credentials.CertificatePem;
            using var client = credentials.CreateClient(_options);
            _state = KubeletState.Registering;
            var objects = new NodeObjects(_request, _options.LeaseDurationSeconds, _time.GetUtcNow().UtcDateTime);
            var node = await RegisterAsync(client, objects, stopping);
            // The lease comes with the registration, so whoever sees Registered also finds the node's heartbeat.
            var lease = await UpdateLeaseAsync(client, objects, node, lease: null, stopping);
            _state = KubeletState.Registered;
            _registered.TrySetResult(true);
            await using var pods = StartPods(client);
            await using var server = StartServer(client, credentials, pods);
            await HeartbeatAsync(client, objects, node, lease, stopping);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Powered off.
        }
        catch (KubeletJoinException failure)
        {
            Fail(failure.Prefix, failure.Message);
        }
        catch (Exception error)
        {
            Fail("kubelet", $"unexpected error: {Failures.Describe(error)}");
        }
        finally
        {
            if (_state != KubeletState.Failed)
                _state = KubeletState.Stopped;
            _registered.TrySetResult(false);
        }
    }

    private async Task<NodeCredentials> BootstrapAsync(CancellationToken stopping)
    {
        if (JoinToken.Split(_request.Token) is not var (id, secret))
            throw new KubeletJoinException("kubeadm join",
                "discovery.bootstrapToken.token: Invalid value: the bootstrap token does not have the form \"[a-z0-9]{6}.[a-z0-9]{16}\"");
        if (_request.CaCertHashes.Count == 0 && !_request.UnsafeSkipCaVerification)
            throw new KubeletJoinException("kubeadm join",
                "discovery.bootstrapToken.caCertHashes: Invalid value: using token-based discovery without caCertHashes can be unsafe. " +
                "Set unsafeSkipCAVerification as true in your kubeadm config file to continue");
        if (_request.CaCertHashes.FirstOrDefault(p => !ClusterTrust.IsWellFormedPin(p)) is { } malformed)
            throw new KubeletJoinException("kubeadm join",
                $"discovery.bootstrapToken.caCertHashes: Invalid value: \"{malformed}\": expected \"sha256:\" and 64 hex digits");

        var discovery = new TokenDiscovery(EndpointUrl(), id, secret, _request.CaCertHashes, _request.UnsafeSkipCaVerification,
            _options, _time, line => Say("kubeadm join", line));
        var cluster = await discovery.RunAsync(stopping);

        _state = KubeletState.Bootstrapping;
        Say("kubeadm join", "[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap...");
        var bootstrap = new TlsBootstrap(cluster, _request.NodeName, id, $"{id}.{secret}", _options, _time, line => Say("kubelet", line));
        try
        {
            return await bootstrap.RunAsync(stopping);
        }
        finally
        {
            CertificateSigningRequestName = bootstrap.RequestName;
        }
    }

    private NodeCredentials GivenCredentials()
    {
        if (_request.ClientCertificatePem is null || _request.ClientKeyPem is null || _request.CaCertificatePem is null)
            throw new KubeletJoinException("kubelet",
                "no bootstrap token and no complete client certificate (certificate, key and CA): nothing to join with");
        return new NodeCredentials(EndpointUrl(), ClusterTrust.ParseBundle(_request.CaCertificatePem), _request.ClientCertificatePem, _request.ClientKeyPem);
    }

    /// <summary>Creates the Node, or takes over the one a previous boot left; then posts its status through nodes/status.</summary>
    private async Task<V1Node> RegisterAsync(IKubernetes client, NodeObjects objects, CancellationToken stopping)
    {
        var deadline = _time.GetUtcNow() + _options.RegistrationTimeout;
        while (true)
        {
            try
            {
                V1Node node;
                try
                {
                    node = await client.CoreV1.CreateNodeAsync(objects.Node(Now), cancellationToken: stopping);
                    Say("kubelet", $"Successfully registered node {NodeName}");
                }
                catch (HttpOperationException error) when (error.Response.StatusCode == HttpStatusCode.Conflict)
                {
                    var existing = await client.CoreV1.ReadNodeAsync(NodeName, cancellationToken: stopping);
                    if (!string.IsNullOrEmpty(existing.Spec?.ProviderID) && existing.Spec.ProviderID != _request.ProviderId)
                        Say("kubelet", $"node {NodeName} already exists with providerID {existing.Spec.ProviderID}, not {_request.ProviderId}; keeping it");
                    node = await client.CoreV1.PatchNodeAsync(objects.MetadataPatch(existing), NodeName, cancellationToken: stopping);
                    Say("kubelet", $"Node {NodeName} was previously registered");
                }
                node = await client.CoreV1.PatchNodeStatusAsync(objects.StatusPatch(Now), NodeName, cancellationToken: stopping);
                Say("kubelet", $"Node {NodeName} status is now: NodeReady");
                return node;
            }
            catch (Exception error) when (Failures.IsTransient(error, stopping) && _time.GetUtcNow() < deadline)
            {
                Say("kubelet", $"Unable to register node \"{NodeName}\" with API server: {Failures.Describe(error)}, will retry");
            }
            catch (Exception error) when (error is HttpOperationException || Failures.IsTransient(error, stopping))
            {
                throw new KubeletJoinException("kubelet", $"Unable to register node \"{NodeName}\" with API server: {Failures.Describe(error)}");
            }
            await Task.Delay(_options.DiscoveryRetryInterval, _time, stopping);
        }
    }

    /// <summary>The pods bound to this node, run until the kubelet stops (with it their real containers).</summary>
    private KubeletPods StartPods(IKubernetes client)
    {
        string Address(string type) => _request.Addresses.FirstOrDefault(a => a.Key == type).Value ?? "";
        var external = Address("ExternalIP");
        var hostIp = Address("InternalIP") is { Length: > 0 } internalIp ? internalIp : external;
        var endpoint = new Uri(EndpointUrl());
        var context = new NodePodsContext(client, NodeName, _options.Images, new PodAddresses(hostIp),
            IPAddress.TryParse(external, out var address) ? address : IPAddress.Loopback, (endpoint.Host.Trim('[', ']'), endpoint.Port), _request.Root,
            line => Say("kubelet", line));
        var pods = new KubeletPods(context);
        pods.Start();
        Pods = pods;
        return pods;
    }

    /// <summary>The kubelet API (container logs) on port 10250 of the node's addresses, once its serving certificate is signed.</summary>
    private KubeletServer StartServer(IKubernetes client, NodeCredentials credentials, KubeletPods pods)
    {
        var addresses = _request.Addresses.Where(a => a.Key is "ExternalIP" or "InternalIP")
            .Select(a => IPAddress.TryParse(a.Value, out var ip) ? ip : null).OfType<IPAddress>().Distinct().ToList();
        var server = new KubeletServer(client, NodeName, addresses, credentials.CertificateAuthorities, pods, line => Say("kubelet", line));
        server.Start();
        return server;
    }

    /// <summary>The pod loop once the Node is registered (the kubelet API reads container logs through it).</summary>
    internal KubeletPods? Pods { get; private set; }

    /// <summary>Renews the node lease every interval and refreshes the Ready heartbeat less often, until stopped.</summary>
    private async Task HeartbeatAsync(IKubernetes client, NodeObjects objects, V1Node node, V1Lease? lease, CancellationToken stopping)
    {
        var lastStatus = _time.GetUtcNow();
        while (true)
        {
            await Task.Delay(_options.LeaseRenewInterval, _time, stopping);
            lease = await UpdateLeaseAsync(client, objects, node, lease, stopping);

            if (_time.GetUtcNow() - lastStatus < _options.StatusUpdateInterval)
                continue;
            try
            {
                await client.CoreV1.PatchNodeStatusAsync(objects.StatusPatch(Now), NodeName, cancellationToken: stopping);
                lastStatus = _time.GetUtcNow();
            }
            catch (Exception error) when (error is HttpOperationException || Failures.IsTransient(error, stopping))
            {
                SayUnlessRepeated($"Error updating node status, will retry: {Failures.Describe(error)}");
            }
        }
    }

    /// <summary>Creates the lease (or takes over an old one) when <paramref name="lease"/> is null, else renews it; a failure is logged and leaves null.</summary>
    private async Task<V1Lease?> UpdateLeaseAsync(IKubernetes client, NodeObjects objects, V1Node node, V1Lease? lease, CancellationToken stopping)
    {
        try
        {
            return lease is null ? await EnsureLeaseAsync(client, objects, node, stopping) : await RenewLeaseAsync(client, lease, stopping);
        }
        catch (Exception error) when (error is HttpOperationException || Failures.IsTransient(error, stopping))
        {
            SayUnlessRepeated($"failed to update lease {NodeObjects.LeaseNamespace}/{NodeName}: {Failures.Describe(error)}");
            return null; // Read it afresh next time (a 409 means someone else wrote it).
        }
    }

    private async Task<V1Lease> EnsureLeaseAsync(IKubernetes client, NodeObjects objects, V1Node node, CancellationToken stopping)
    {
        var wanted = objects.Lease(node, Now);
        try
        {
            return await client.CoordinationV1.CreateNamespacedLeaseAsync(wanted, NodeObjects.LeaseNamespace, cancellationToken: stopping);
        }
        catch (HttpOperationException error) when (error.Response.StatusCode == HttpStatusCode.Conflict)
        {
            var existing = await client.CoordinationV1.ReadNamespacedLeaseAsync(NodeName, NodeObjects.LeaseNamespace, cancellationToken: stopping);
            existing.Spec = wanted.Spec;
            return await client.CoordinationV1.ReplaceNamespacedLeaseAsync(existing, NodeName, NodeObjects.LeaseNamespace, cancellationToken: stopping);
        }
    }

    private async Task<V1Lease> RenewLeaseAsync(IKubernetes client, V1Lease lease, CancellationToken stopping)
    {
        lease.Spec.RenewTime = Now;
        return await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, NodeName, NodeObjects.LeaseNamespace, cancellationToken: stopping);
    }

    private DateTime Now => _time.GetUtcNow().UtcDateTime;

    /// <summary>https://&lt;host:port&gt; from JoinConfiguration's apiServerEndpoint (a full URL is taken as it is).</summary>
    private string EndpointUrl()
    {
        var endpoint = _request.ApiServerEndpoint.Trim();
        var url = endpoint.Contains("://", StringComparison.Ordinal) ? endpoint : $"https://{endpoint}";
        return Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
            ? uri.GetLeftPart(UriPartial.Authority)
            : throw new KubeletJoinException("kubeadm join", $"discovery.bootstrapToken.apiServerEndpoint: Invalid value: \"{endpoint}\": not host:port");
    }

    private void Fail(string prefix, string reason)
    {
        _failureReason = Scrub(reason);
        _state = KubeletState.Failed;
        Say(prefix, reason);
    }

    /// <summary>
    /// Heartbeat errors repeat every few seconds while the control plane is down; the console gets each distinct one
    /// once a minute, so a machine left running for days does not fill it.
    /// </summary>
    private void SayUnlessRepeated(string text)
    {
        var now = _time.GetUtcNow();
        lock (_repeats)
        {
            _repeats.RemoveAll(r => now - r.At >= RepeatQuietPeriod);
            if (_repeats.Any(r => r.Text == text))
                return;
            _repeats.Add((text, now));
        }
        Say("kubelet", text);
    }

    private void Say(string prefix, string text) => _console.WriteLine($"{prefix}: {Scrub(text)}");

    private string Scrub(string text) => _secrets.Aggregate(text, (current, secret) => current.Replace(secret, "<redacted>", StringComparison.Ordinal));
}
