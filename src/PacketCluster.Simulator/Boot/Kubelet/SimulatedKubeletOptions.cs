namespace PacketCluster.Simulator.Boot.Kubelet;

/// <summary>
/// Timings of a <see cref="SimulatedKubelet"/>. The defaults are a real kubelet's and kubeadm's (lease renewed every
/// 10 s for 40 s, discovery retried every 5 s) with the give-up bounds shortened to two minutes; tests shorten them.
/// </summary>
public sealed record SimulatedKubeletOptions
{
    public static SimulatedKubeletOptions Default { get; } = new();

    /// <summary>How long token discovery keeps retrying an unreachable endpoint or a cluster-info without this token's signature.</summary>
    public TimeSpan DiscoveryTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public TimeSpan DiscoveryRetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the TLS bootstrap waits for its CSR to be approved and signed.</summary>
    public TimeSpan CertificateTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public TimeSpan CertificatePollInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long registering the Node keeps retrying transient failures (unreachable server, 5xx, 429).</summary>
    public TimeSpan RegistrationTimeout { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>kubelet's node lease renew interval (a quarter of the lease duration).</summary>
    public TimeSpan LeaseRenewInterval { get; init; } = TimeSpan.FromSeconds(10);

    public int LeaseDurationSeconds { get; init; } = 40;

    /// <summary>How often the Ready condition's lastHeartbeatTime is refreshed through the status subresource.</summary>
    public TimeSpan StatusUpdateInterval { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary>Bounds every single request, so no step can hang on a silent server.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Which images run for real (the manager's) and which are simulated.</summary>
    public Pods.ContainerImages Images { get; init; } = Pods.ContainerImages.None;

    /// <exception cref="ArgumentOutOfRangeException">A duration or the lease duration is not positive.</exception>
    internal void Validate()
    {
        (string Name, TimeSpan Value)[] durations =
        [
            (nameof(DiscoveryTimeout), DiscoveryTimeout), (nameof(DiscoveryRetryInterval), DiscoveryRetryInterval),
            (nameof(CertificateTimeout), CertificateTimeout), (nameof(CertificatePollInterval), CertificatePollInterval),
            (nameof(RegistrationTimeout), RegistrationTimeout), (nameof(LeaseRenewInterval), LeaseRenewInterval),
            (nameof(StatusUpdateInterval), StatusUpdateInterval), (nameof(RequestTimeout), RequestTimeout),
        ];
        foreach (var (name, value) in durations)
        {
            if (value <= TimeSpan.Zero)
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
        }
        if (LeaseDurationSeconds <= 0)
            throw new ArgumentOutOfRangeException(nameof(LeaseDurationSeconds), LeaseDurationSeconds, "LeaseDurationSeconds must be positive.");
    }
}
