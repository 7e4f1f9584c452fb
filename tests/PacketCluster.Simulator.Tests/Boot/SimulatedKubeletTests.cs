using System.Collections.Concurrent;
using PacketCluster.Simulator.Boot;
using PacketCluster.Simulator.Boot.Kubelet;
using Xunit;

namespace PacketCluster.Simulator.Tests.Boot;

/// <summary>
/// What the simulated kubelet refuses before it contacts anything, as kubeadm's config validation would. The joins
/// themselves run against a real control plane in PacketCluster.Engine.Tests (SimulatedKubeletIntegrationTests).
/// </summary>
public sealed class SimulatedKubeletTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    private static KubeletJoinRequest Request(string? token, params string[] pins) => new()
    {
        NodeName = "worker-0",
        ProviderId = "packet://00000000-0000-0000-0000-000000000001",
        // Nothing listens there; validation must fail before any connection is tried.
        ApiServerEndpoint = "127.0.0.1:1",
        Token = token,
        CaCertHashes = pins,
    };

    [Fact]
    public async Task Malformed_token_fails_at_once_without_printing_it()
    {
        var console = new Lines();
        const string token = "abcdef.NOT-A-VALID-SECRET";

        await using var kubelet = SimulatedKubelet.Start(Request(token, "sha256:" + new string('a', 64)), console);

        Assert.False(await kubelet.Registered.WaitAsync(Bound));
        Assert.Equal(KubeletState.Failed, kubelet.State);
        var line = Assert.Single(console.All);
        Assert.StartsWith("kubeadm join: discovery.bootstrapToken.token: Invalid value", line);
        Assert.DoesNotContain("NOT-A-VALID-SECRET", line);
    }

    [Fact]
    public async Task Token_without_ca_pins_is_refused_unless_ca_verification_is_skipped()
    {
        var console = new Lines();

        await using var kubelet = SimulatedKubelet.Start(Request("abcdef.0123456789abcdef"), console);

        Assert.False(await kubelet.Registered.WaitAsync(Bound));
        Assert.Contains("without caCertHashes can be unsafe", kubelet.FailureReason);
        Assert.DoesNotContain("0123456789abcdef", string.Join('\n', console.All));
    }

    [Fact]
    public async Task Malformed_ca_pin_is_refused()
    {
        var console = new Lines();

        await using var kubelet = SimulatedKubelet.Start(Request("abcdef.0123456789abcdef", "md5:1234"), console);

        Assert.False(await kubelet.Registered.WaitAsync(Bound));
        Assert.Contains("\"md5:1234\": expected \"sha256:\" and 64 hex digits", kubelet.FailureReason);
    }

    [Fact]
    public async Task Neither_token_nor_complete_client_certificate_fails()
    {
        var console = new Lines();

        await using var kubelet = SimulatedKubelet.Start(Request(token: null) with { ClientCertificatePem = "x" }, console);

        Assert.False(await kubelet.Registered.WaitAsync(Bound));
        Assert.StartsWith("kubelet: no bootstrap token and no complete client certificate", Assert.Single(console.All));
    }

    [Fact]
    public void Non_positive_timings_are_rejected_up_front()
    {
        var options = SimulatedKubeletOptions.Default with { LeaseRenewInterval = TimeSpan.Zero };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => SimulatedKubelet.Start(Request("abcdef.0123456789abcdef"), new Lines(), options));

        Assert.Equal("LeaseRenewInterval", error.ParamName);
    }

    private sealed class Lines : IConsoleLog
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyList<string> All => [.. _lines];

        public void WriteLine(string line) => _lines.Enqueue(line);
    }
}
