using System.Collections.Concurrent;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using PacketCluster.Engine.Pki;
using PacketCluster.Simulator.Boot;
using PacketCluster.Simulator.Boot.Kubelet;
using Xunit;
using Xunit.Abstractions;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>
/// The simulator's kubelet joining the fixture's real kube-apiserver 1.20.2 + kube-controller-manager the kubeadm
/// way: token discovery with the CA pin, a CSR the controller manager approves and signs, the Node and its lease.
/// </summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class SimulatedKubeletIntegrationTests(KubeControlPlane controlPlane, ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>A join takes well under a second of API time; this bounds a loaded two-core machine (informer lag included).</summary>
    private static readonly TimeSpan JoinBound = TimeSpan.FromSeconds(30);

    private static readonly SimulatedKubeletOptions Fast = new()
    {
        DiscoveryTimeout = TimeSpan.FromSeconds(20),
        DiscoveryRetryInterval = TimeSpan.FromMilliseconds(250),
        CertificatePollInterval = TimeSpan.FromMilliseconds(100),
        LeaseRenewInterval = TimeSpan.FromMilliseconds(500),
        StatusUpdateInterval = TimeSpan.FromSeconds(1),
    };

    private readonly IKubernetes _admin = controlPlane.CreateClient();
    private readonly List<string> _nodes = [];
    private readonly List<BootstrapToken> _tokens = [];
    private readonly List<SimulatedKubelet> _kubelets = [];

    public Task InitializeAsync() =>
        KubeadmJoinSetup.EnsureAsync(_admin, controlPlane.Server, controlPlane.Pki.ClusterCa.CertificatePem);

    [Fact]
    public async Task Good_token_and_pin_register_a_ready_node_with_a_csr_issued_certificate_and_a_renewed_lease()
    {
        var token = await CreateTokenAsync();
        var console = new Console(output);
        var request = TokenRequest(NewNodeName(), token.Value, SpkiPin.Compute(controlPlane.Pki.ClusterCa.CertificatePem));

        var kubelet = Start(request, console);

        Assert.True(await kubelet.Registered.WaitAsync(JoinBound), console.Text);
        Assert.Equal(KubeletState.Registered, kubelet.State);

        var node = await _admin.CoreV1.ReadNodeAsync(request.NodeName);
        Assert.Equal(request.ProviderId, node.Spec.ProviderID);
        Assert.Equal("sv15", node.Metadata.Labels["packet.net/facility"]);
        Assert.Equal(request.NodeName, node.Metadata.Labels["kubernetes.io/hostname"]);
        Assert.Equal("linux", node.Metadata.Labels["kubernetes.io/os"]);
        Assert.Equal("amd64", node.Metadata.Labels["kubernetes.io/arch"]);
        Assert.Contains(node.Status.Addresses, a => a.Type == "InternalIP" && a.Address == "127.10.0.6");
        Assert.Contains(node.Status.Addresses, a => a.Type == "Hostname" && a.Address == request.NodeName);
        var ready = Assert.Single(node.Status.Conditions, c => c.Type == "Ready");
        Assert.Equal(("True", "KubeletReady"), (ready.Status, ready.Reason));
        Assert.All(node.Status.Conditions.Where(c => c.Type != "Ready"), c => Assert.Equal("False", c.Status));
        Assert.Equal("v1.20.2", node.Status.NodeInfo.KubeletVersion);
        Assert.Equal("110", node.Status.Capacity["pods"].ToString());

        // The credentials came from a CSR the bootstrap user made and the controller manager approved and signed.
        var csr = await _admin.CertificatesV1.ReadCertificateSigningRequestAsync(kubelet.CertificateSigningRequestName);
        Assert.Equal(token.UserName, csr.Spec.Username);
        Assert.Equal("kubernetes.io/kube-apiserver-client-kubelet", csr.Spec.SignerName);
        Assert.Contains(csr.Status.Conditions, c => c.Type == "Approved" && c.Status == "True");
        Assert.Equal(System.Text.Encoding.ASCII.GetString(csr.Status.Certificate), kubelet.ClientCertificatePem);

        // Heartbeats: the lease is renewed and the Ready condition's heartbeat moves on.
        var lease = await _admin.CoordinationV1.ReadNamespacedLeaseAsync(request.NodeName, "kube-node-lease");
        Assert.Equal(request.NodeName, lease.Spec.HolderIdentity);
        Assert.Equal(40, lease.Spec.LeaseDurationSeconds);
        Assert.Equal(node.Metadata.Uid, Assert.Single(lease.Metadata.OwnerReferences).Uid);
        await EventuallyAsync(async () =>
            (await _admin.CoordinationV1.ReadNamespacedLeaseAsync(request.NodeName, "kube-node-lease")).Spec.RenewTime > lease.Spec.RenewTime, "lease renewed");
        await EventuallyAsync(async () =>
            ReadyHeartbeat(await _admin.CoreV1.ReadNodeAsync(request.NodeName)) > ready.LastHeartbeatTime, "Ready heartbeat refreshed");

        Assert.DoesNotContain(token.Secret, console.Text);
        Assert.Contains($"kubelet: Successfully registered node {request.NodeName}", console.Lines);

        // Powering off stops the heartbeats at once and leaves the Node behind, as on real hardware.
        await kubelet.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(KubeletState.Stopped, kubelet.State);
        Assert.True(await NodeExistsAsync(request.NodeName));
    }

    [Fact]
    public async Task Wrong_token_secret_gives_no_node_and_says_the_token_was_rejected_without_printing_it()
    {
        var token = await CreateTokenAsync();
        var wrongSecret = new string(token.Secret.Reverse().ToArray());
        var console = new Console(output);
        var request = TokenRequest(NewNodeName(), $"{token.Id}.{wrongSecret}", SpkiPin.Compute(controlPlane.Pki.ClusterCa.CertificatePem));

        var kubelet = Start(request, console);

        Assert.False(await kubelet.Registered.WaitAsync(JoinBound), console.Text);
        Assert.Equal(KubeletState.Failed, kubelet.State);
        var line = Assert.Single(console.Lines, l => l.Contains("rejected", StringComparison.Ordinal));
        Assert.StartsWith("kubeadm join: ", line);
        Assert.Contains($"bootstrap token \"{token.Id}\" rejected (401 Unauthorized)", line);
        Assert.DoesNotContain(wrongSecret, console.Text);
        Assert.DoesNotContain(token.Secret, console.Text);
        Assert.DoesNotContain(wrongSecret, kubelet.FailureReason);
        Assert.False(await NodeExistsAsync(request.NodeName));
    }

    [Fact]
    public async Task Unknown_token_id_gives_up_when_cluster_info_stays_unsigned_for_it()
    {
        var unknown = BootstrapToken.Generate();
        var console = new Console(output);
        var request = TokenRequest(NewNodeName(), unknown.Value, SpkiPin.Compute(controlPlane.Pki.ClusterCa.CertificatePem));

        var kubelet = Start(request, console, Fast with { DiscoveryTimeout = TimeSpan.FromSeconds(2) });

        Assert.False(await kubelet.Registered.WaitAsync(JoinBound), console.Text);
        Assert.Equal(KubeletState.Failed, kubelet.State);
        Assert.Contains($"token id \"{unknown.Id}\" is invalid for this cluster or it has expired", kubelet.FailureReason);
        Assert.EndsWith($"bootstrap token \"{unknown.Id}\" rejected (401 Unauthorized)", kubelet.FailureReason);
        Assert.DoesNotContain(unknown.Secret, console.Text);
        Assert.False(await NodeExistsAsync(request.NodeName));
    }

    [Fact]
    public async Task Wrong_ca_pin_gives_no_node_and_names_both_hashes()
    {
        var token = await CreateTokenAsync();
        var wrongPin = SpkiPin.Compute(CertificateAuthority.Generate("some-other-ca").CertificatePem);
        var actualPin = SpkiPin.Compute(controlPlane.Pki.ClusterCa.CertificatePem);
        var console = new Console(output);
        var request = TokenRequest(NewNodeName(), token.Value, wrongPin);

        var kubelet = Start(request, console);

        Assert.False(await kubelet.Registered.WaitAsync(JoinBound), console.Text);
        Assert.Equal(KubeletState.Failed, kubelet.State);
        var line = Assert.Single(console.Lines, l => l.Contains("are pinned", StringComparison.Ordinal));
        Assert.Contains($"none of the public keys \"{actualPin}\" are pinned", line);
        Assert.Contains(wrongPin, line);
        Assert.Null(kubelet.CertificateSigningRequestName);
        Assert.DoesNotContain(token.Secret, console.Text);
        Assert.False(await NodeExistsAsync(request.NodeName));
    }

    [Fact]
    public async Task Client_certificate_mode_registers_a_ready_node_and_takes_it_over_after_a_reboot()
    {
        var name = NewNodeName();
        var certificate = controlPlane.Pki.ClusterCa.IssueClientCertificate($"system:node:{name}", ["system:nodes"]);
        var console = new Console(output);
        var request = new KubeletJoinRequest
        {
            NodeName = name,
            ProviderId = $"packet://{Guid.NewGuid()}",
            ApiServerEndpoint = new Uri(controlPlane.Server).Authority,
            Addresses = [new("InternalIP", "127.10.0.7")],
            ClientCertificatePem = certificate.CertificatePem,
            ClientKeyPem = certificate.PrivateKeyPem,
            CaCertificatePem = controlPlane.Pki.ClusterCa.CertificatePem,
        };

        var kubelet = Start(request, console);

        Assert.True(await kubelet.Registered.WaitAsync(JoinBound), console.Text);
        var node = await _admin.CoreV1.ReadNodeAsync(name);
        Assert.Equal(request.ProviderId, node.Spec.ProviderID);
        Assert.Equal("True", Assert.Single(node.Status.Conditions, c => c.Type == "Ready").Status);
        Assert.Null(kubelet.CertificateSigningRequestName);
        Assert.DoesNotContain(certificate.PrivateKeyPem, console.Text);

        // A reboot: the Node and its Lease are still there; the new kubelet updates rather than creates them.
        await kubelet.DisposeAsync();
        var lease = await _admin.CoordinationV1.ReadNamespacedLeaseAsync(name, "kube-node-lease");
        var rebooted = Start(request with { Labels = new Dictionary<string, string> { ["packet.net/rebooted"] = "yes" } }, console);

        Assert.True(await rebooted.Registered.WaitAsync(JoinBound), console.Text);
        Assert.Contains($"kubelet: Node {name} was previously registered", console.Lines);
        var again = await _admin.CoreV1.ReadNodeAsync(name);
        Assert.Equal(node.Metadata.Uid, again.Metadata.Uid);
        Assert.Equal("yes", again.Metadata.Labels["packet.net/rebooted"]);
        Assert.Equal(request.ProviderId, again.Spec.ProviderID);
        var renewed = await _admin.CoordinationV1.ReadNamespacedLeaseAsync(name, "kube-node-lease");
        Assert.True(renewed.Spec.RenewTime > lease.Spec.RenewTime);
    }

    [Fact]
    public async Task Unreachable_endpoint_is_retried_within_the_bound_then_fails_naming_it()
    {
        var endpoint = $"127.0.0.1:{LoopbackPort.PickFree()}";
        var console = new Console(output);
        var request = TokenRequest(NewNodeName(), BootstrapToken.Generate().Value, SpkiPin.Compute(controlPlane.Pki.ClusterCa.CertificatePem)) with
        {
            ApiServerEndpoint = endpoint,
        };

        var kubelet = Start(request, console, Fast with { DiscoveryTimeout = TimeSpan.FromSeconds(2) });

        Assert.False(await kubelet.Registered.WaitAsync(JoinBound), console.Text);
        Assert.Equal(KubeletState.Failed, kubelet.State);
        Assert.Contains(console.Lines, l => l.Contains($"https://{endpoint}", StringComparison.Ordinal) && l.EndsWith("will try again", StringComparison.Ordinal));
        Assert.Contains($"https://{endpoint}", kubelet.FailureReason);
        Assert.Contains("gave up after 2 s", kubelet.FailureReason);
    }

    [Fact]
    public async Task Discovery_waits_as_long_as_the_join_config_says_for_a_control_plane_that_comes_up_late()
    {
        // A worker boots before its control plane (every machine is created at once): the API server answers only
        // after the kubelet's own bound (2 s here) has passed; kubeadm's discovery timeout from the join config wins.
        var token = await CreateTokenAsync();
        var console = new Console(output);
        var endpoint = new IPEndPoint(IPAddress.Loopback, LoopbackPort.PickFree());
        var server = new Uri(controlPlane.Server);
        var request = TokenRequest(NewNodeName(), token.Value, SpkiPin.Compute(controlPlane.Pki.ClusterCa.CertificatePem)) with
        {
            ApiServerEndpoint = endpoint.ToString(),
            DiscoveryTimeout = TimeSpan.FromSeconds(60),
        };

        var kubelet = Start(request, console, Fast with { DiscoveryTimeout = TimeSpan.FromSeconds(2) });
        await Task.Delay(TimeSpan.FromSeconds(5));
        Assert.NotEqual(KubeletState.Failed, kubelet.State);
        Assert.Contains(console.Lines, l => l.EndsWith("will try again", StringComparison.Ordinal));
        await using var lateApiServer = TcpForwarder.Start(endpoint, new IPEndPoint(IPAddress.Parse(server.Host), server.Port));

        Assert.True(await kubelet.Registered.WaitAsync(JoinBound), console.Text);
        Assert.Equal(KubeletState.Registered, kubelet.State);
    }

    public async Task DisposeAsync()
    {
        foreach (var kubelet in _kubelets)
            await kubelet.DisposeAsync();
        foreach (var name in _nodes)
            await IgnoreNotFound(() => _admin.CoreV1.DeleteNodeAsync(name));
        foreach (var name in _nodes)
            await IgnoreNotFound(() => _admin.CoordinationV1.DeleteNamespacedLeaseAsync(name, "kube-node-lease"));
        foreach (var csr in _kubelets.Select(k => k.CertificateSigningRequestName).OfType<string>())
            await IgnoreNotFound(() => _admin.CertificatesV1.DeleteCertificateSigningRequestAsync(csr));
        foreach (var token in _tokens)
            await IgnoreNotFound(() => _admin.CoreV1.DeleteNamespacedSecretAsync(token.SecretName, BootstrapToken.SecretNamespace));
        _admin.Dispose();
    }

    private SimulatedKubelet Start(KubeletJoinRequest request, Console console, SimulatedKubeletOptions? options = null)
    {
        var kubelet = SimulatedKubelet.Start(request, console, options ?? Fast);
        _kubelets.Add(kubelet);
        return kubelet;
    }

    private KubeletJoinRequest TokenRequest(string name, string token, string pin) => new()
    {
        NodeName = name,
        ProviderId = $"packet://{Guid.NewGuid()}",
        ApiServerEndpoint = new Uri(controlPlane.Server).Authority,
        Token = token,
        CaCertHashes = [pin],
        Labels = new Dictionary<string, string> { ["packet.net/facility"] = "sv15" },
        Addresses = [new("InternalIP", "127.10.0.6"), new("ExternalIP", "127.20.0.6")],
    };

    private string NewNodeName()
    {
        var name = $"kubelet-test-{Guid.NewGuid():N}"[..22];
        _nodes.Add(name);
        return name;
    }

    private async Task<BootstrapToken> CreateTokenAsync()
    {
        var token = await KubeadmJoinSetup.CreateTokenAsync(_admin);
        _tokens.Add(token);
        return token;
    }

    private async Task<bool> NodeExistsAsync(string name)
    {
        try
        {
            await _admin.CoreV1.ReadNodeAsync(name);
            return true;
        }
        catch (HttpOperationException error) when (error.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private static DateTime? ReadyHeartbeat(V1Node node) => node.Status.Conditions.Single(c => c.Type == "Ready").LastHeartbeatTime;

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within 15 s: {what}");
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    private static async Task IgnoreNotFound<T>(Func<Task<T>> delete)
    {
        try
        {
            await delete();
        }
        catch (HttpOperationException error) when (error.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Never created (a failing join) or already gone.
        }
    }

    /// <summary>The device console the kubelet writes to.</summary>
    private sealed class Console(ITestOutputHelper output) : IConsoleLog
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyList<string> Lines => [.. _lines];
        public string Text => string.Join('\n', _lines);

        public void WriteLine(string line)
        {
            _lines.Enqueue(line);
            try
            {
                output.WriteLine(line);
            }
            catch (InvalidOperationException)
            {
                // The test has ended (a late heartbeat line); the queue still has it.
            }
        }
    }
}
