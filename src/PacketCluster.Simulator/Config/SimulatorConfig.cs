namespace PacketCluster.Simulator.Config;

/// <summary>
/// The simulator's behaviour as data (kwok's versioned configuration kind): timings with jitter, the address
/// ranges it hands out, the rate limit and the fault rules. Read from YAML (<see cref="SimulatorConfigLoader"/>);
/// unknown keys are errors so a typo never silently changes behaviour.
/// </summary>
public sealed class SimulatorConfig
{
    public const string CurrentApiVersion = "packetcluster.io/v1alpha1";
    public const string KindName = "SimulatorConfig";

    public string ApiVersion { get; set; } = CurrentApiVersion;
    public string Kind { get; set; } = KindName;

    /// <summary>Seed for ids, jitter and fault dice. Null: a random seed per start.</summary>
    public int? Seed { get; set; }

    /// <summary>Directory whose state.json keeps devices, IPs, SSH keys and events across restarts. Null: memory only.</summary>
    public string? StateDir { get; set; }

    /// <summary>A catalogue YAML file that replaces the embedded one (metros, facilities, plans, operating systems).</summary>
    public string? Catalogue { get; set; }

    public DeviceTimings Timings { get; set; } = new();
    public AddressRanges Addresses { get; set; } = new();
    public RateLimitConfig RateLimit { get; set; } = new();
    public FaultConfig Faults { get; set; } = new();
    public BootConfig Boot { get; set; } = new();
}

/// <summary>
/// Booting devices from their userdata (PRODUCT.md §7): on by default. A <c>kubeadm init</c> needs the real binaries
/// (./build.sh KubeBinaries); without them the device's console says so and nothing starts.
/// </summary>
public sealed class BootConfig
{
    public bool Enabled { get; set; } = true;
}

/// <summary>A duration plus uniform jitter: each use samples <c>duration + U[0, jitter]</c>.</summary>
public sealed class Timing
{
    public TimeSpan Duration { get; set; }
    public TimeSpan Jitter { get; set; }

    public Timing() { }
    public Timing(TimeSpan duration, TimeSpan jitter = default) { Duration = duration; Jitter = jitter; }

    public TimeSpan Sample(Random random) =>
        Jitter <= TimeSpan.Zero ? Duration : Duration + TimeSpan.FromTicks((long)(random.NextDouble() * Jitter.Ticks));
}

/// <summary>
/// Stage durations of the device state table. Defaults follow packet-api.md §3.3 (queued 5–30 s, provisioning
/// 3–10 min; real durations are undocumented); tests and e2e runs configure seconds.
/// </summary>
public sealed class DeviceTimings
{
    public Timing Queued { get; set; } = new(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(25));
    public Timing Provisioning { get; set; } = new(TimeSpan.FromMinutes(3), TimeSpan.FromMinutes(7));
    public Timing Deprovisioning { get; set; } = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10));
    public Timing PowerOff { get; set; } = new(TimeSpan.FromSeconds(10));
    public Timing PowerOn { get; set; } = new(TimeSpan.FromSeconds(10));
    public Timing Reinstall { get; set; } = new(TimeSpan.FromMinutes(2));
    /// <summary>How long a failed on-demand device answers 403 before it is moved out of the project (404).</summary>
    public Timing FailedVisible { get; set; } = new(TimeSpan.FromSeconds(60));
}

/// <summary>
/// Address pools. PRODUCT.md §7: every IPv4 handed out is loopback (127.0.0.0/8), IPv6 is the documentation
/// prefix (2001:db8::/32); <see cref="SimulatorConfigLoader.Validate"/> refuses anything else.
/// </summary>
public sealed class AddressRanges
{
    public string PublicIpv4 { get; set; } = "127.50.0.0/16";
    /// <summary>Private (backend) addresses: the real service uses 10.x; the simulator must not hand that out.</summary>
    public string PrivateIpv4 { get; set; } = "127.55.0.0/16";
    public string PublicIpv6 { get; set; } = "2001:db8:50::/48";
    public string ElasticIpv4 { get; set; } = "127.60.0.0/16";
}

/// <summary>Fixed-window request limit. <see cref="Requests"/> 0 turns limiting (and the headers) off.</summary>
public sealed class RateLimitConfig
{
    public int Requests { get; set; } = 5000;
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

public sealed class FaultConfig
{
    public List<RequestFaultRule> Requests { get; set; } = new();
    public List<ProvisioningFaultRule> Provisioning { get; set; } = new();
}

/// <summary>
/// A fault on matching API requests (kwok's chaos stages): answer <see cref="Status"/>, add latency, or drop the
/// connection. Matching requests are chosen by <see cref="Rate"/> (seeded dice) and/or by script
/// (<see cref="After"/> skips the first N matches, <see cref="Times"/> limits how many are hit).
/// </summary>
public sealed class RequestFaultRule
{
    public string? Name { get; set; }
    /// <summary>Path pattern without the /metal/v1 prefix: <c>*</c> is one segment, <c>**</c> any rest. Default all.</summary>
    public string Path { get; set; } = "/**";
    /// <summary>HTTP methods; empty = all.</summary>
    public List<string> Methods { get; set; } = new();
    public double Rate { get; set; } = 1.0;
    public int? Status { get; set; }
    public string? Message { get; set; }
    public TimeSpan Latency { get; set; }
    public bool Drop { get; set; }

    /// <summary>
    /// The request is handled first (a device is created, an IP reserved or assigned) and only then is the answer lost:
    /// the connection dropped (<see cref="Drop"/>) or a proxy's 5xx (<see cref="Status"/>) sent instead. This is the
    /// failure that made the 2019 provider duplicate devices; without it a fault answers before anything happens.
    /// </summary>
    public bool Handled { get; set; }

    public int After { get; set; }
    public int? Times { get; set; }
}

/// <summary>Devices that end in <c>failed</c> instead of <c>active</c>: by hostname regex and/or rate.</summary>
public sealed class ProvisioningFaultRule
{
    public string? Hostname { get; set; }
    public double Rate { get; set; } = 1.0;
}
