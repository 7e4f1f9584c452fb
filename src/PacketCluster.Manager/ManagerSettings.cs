using System.Net;

namespace PacketCluster.Manager;

/// <summary>
/// The manager's command line (the provider components pass <c>--leader-elect --machine-configs=… --health-addr=:9440
/// --metrics-addr=127.0.0.1:8080</c>) and environment (PACKET_API_KEY, PACKET_PROJECT_ID, PACKET_API_URL, POD_NAMESPACE).
/// </summary>
public sealed record ManagerSettings
{
    public string? Kubeconfig { get; init; }
    public string Namespace { get; init; } = "default";
    public bool LeaderElect { get; init; }
    public string? LeaseNamespace { get; init; }
    public string? MachineConfigs { get; init; }
    public IPEndPoint HealthAddress { get; init; } = new(IPAddress.Any, 9440);
    /// <summary>Loopback by default: /metrics names clusters and counts machines, and has no authentication.</summary>
    public IPEndPoint MetricsAddress { get; init; } = new(IPAddress.Loopback, 8080);
    public string? Identity { get; init; }

    public static ManagerSettings Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var settings = new ManagerSettings { LeaseNamespace = environment("POD_NAMESPACE") };
        foreach (var arg in args)
        {
            var (key, value) = arg.IndexOf('=') is var i and > 0 ? (arg[..i], arg[(i + 1)..]) : (arg, null);
            settings = key switch
            {
                "--kubeconfig" => settings with { Kubeconfig = Required(key, value) },
                "--namespace" => settings with { Namespace = Required(key, value) },
                "--leader-elect" => settings with { LeaderElect = value is null || bool.Parse(value) },
                "--lease-namespace" => settings with { LeaseNamespace = Required(key, value) },
                "--machine-configs" => settings with { MachineConfigs = Required(key, value) },
                "--health-addr" => settings with { HealthAddress = Address(key, Required(key, value)) },
                "--metrics-addr" => settings with { MetricsAddress = Address(key, Required(key, value)) },
                "--identity" => settings with { Identity = Required(key, value) },
                _ => throw new ArgumentException($"Unknown option '{arg}'. Options: --kubeconfig=, --namespace=, --leader-elect, --lease-namespace=, --machine-configs=, --health-addr=, --metrics-addr=, --identity=."),
            };
        }
        return settings;
    }

    private static string Required(string key, string? value) =>
        string.IsNullOrEmpty(value) ? throw new ArgumentException($"{key} needs a value: {key}=…") : value;

    /// <summary>":9440" (every interface, as in a pod) or "127.0.0.1:0".</summary>
    private static IPEndPoint Address(string key, string value)
    {
        var colon = value.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(value[(colon + 1)..], out var port) || port is < 0 or > 65535)
            throw new ArgumentException($"{key}={value}: expected host:port or :port.");
        var host = value[..colon].Trim('[', ']');
        return new IPEndPoint(host.Length == 0 ? IPAddress.Any : IPAddress.Parse(host), port);
    }
}
