using System.Net;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Authentication;

namespace PacketCluster.Manager;

/// <summary>
/// Where the manager runs when the simulator's kubelet starts it as a pod's container. The simulator has no mount or
/// network namespace to give it, so it names the folder that stands for the container's "/" and the loopback address
/// that stands for the pod's own; absolute paths (the mounted machine configs, the service-account token) are read
/// under that folder, and a wildcard listen address binds that address. Unset (a real container, or a manager run
/// by hand), nothing changes.
/// </summary>
internal sealed class ContainerSandbox(string? root, IPAddress? address)
{
    public const string RootVariable = "PACKETCLUSTER_CONTAINER_ROOT";
    public const string AddressVariable = "PACKETCLUSTER_CONTAINER_ADDRESS";
    private const string ServiceAccountDirectory = "/var/run/secrets/kubernetes.io/serviceaccount";

    public static ContainerSandbox FromEnvironment(Func<string, string?> environment) => new(
        environment(RootVariable) is { Length: > 0 } root ? root : null,
        IPAddress.TryParse(environment(AddressVariable), out var address) ? address : null);

    public bool IsSimulated => root is not null;

    /// <summary>A path as the container sees it, on this machine.</summary>
    public string Path(string path) =>
        root is null || !System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.Join(root, path.TrimStart('/'));

    /// <summary>
    /// ":9440" and "127.0.0.1:8080" bind the pod's address (a pod's loopback is its own; here it would be the
    /// machine's, shared by every replica); any other host stays.
    /// </summary>
    public IPEndPoint Listen(IPEndPoint endpoint) =>
        address is not null && (endpoint.Address.Equals(IPAddress.Any) || endpoint.Address.Equals(IPAddress.IPv6Any) || IPAddress.IsLoopback(endpoint.Address))
            ? new IPEndPoint(address, endpoint.Port)
            : endpoint;

    /// <summary>Whether in-cluster configuration is there: the service-account token under the root, and the service host.</summary>
    public bool IsInCluster(Func<string, string?> environment) =>
        !string.IsNullOrEmpty(environment("KUBERNETES_SERVICE_HOST")) && File.Exists(Path($"{ServiceAccountDirectory}/token"));

    /// <summary>KubernetesClient's in-cluster configuration, with the token and CA read from the mounted files under the root.</summary>
    public KubernetesClientConfiguration InClusterConfig(Func<string, string?> environment)
    {
        var host = environment("KUBERNETES_SERVICE_HOST")!;
        var port = environment("KUBERNETES_SERVICE_PORT") ?? "443";
        var ca = new X509Certificate2Collection();
        ca.ImportFromPemFile(Path($"{ServiceAccountDirectory}/ca.crt"));
        var ns = Path($"{ServiceAccountDirectory}/namespace");
        return new KubernetesClientConfiguration
        {
            Host = new UriBuilder("https", host.Trim('[', ']'), int.Parse(port, System.Globalization.CultureInfo.InvariantCulture)).Uri.ToString(),
            // Re-read as the kubelet rotates it, as the library's own in-cluster configuration does.
            TokenProvider = new TokenFileAuth(Path($"{ServiceAccountDirectory}/token")),
            SslCaCerts = ca,
            Namespace = File.Exists(ns) ? File.ReadAllText(ns).Trim() : null,
        };
    }
}
