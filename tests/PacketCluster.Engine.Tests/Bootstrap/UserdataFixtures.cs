using System.Runtime.CompilerServices;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Pki;

namespace PacketCluster.Engine.Tests.Bootstrap;

/// <summary>
/// Fixed userdata inputs. The PEM blocks are placeholders, not keys: cloud-init and kubeadm config migrate never
/// read them, and golden files must not change when the PKI code does.
/// </summary>
internal static class UserdataFixtures
{
    // Documentation address (RFC 5737): never contacted; kubeadm config migrate contacts nothing anyway.
    public const string EndpointHost = "198.51.100.7";
    public const string WorkerToken = "w0rk3r.0123456789abcdef";
    public const string ControlPlaneToken = "c0ntr0.fedcba9876543210";
    public const string SecondWorkerToken = "w0rk3s.aaaabbbbccccdddd";
    public const string JoiningControlPlaneToken = "c0ntr1.0011223344556677";
    public const string CaPin = "sha256:2c1b8f2e3a9d4c5b6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b";

    public static string Pem(string type, string label) =>
        $"-----BEGIN {type}-----\nUExBQ0VIT0xERVIt{label}\n-----END {type}-----\n";

    public static UserdataRequest ControlPlane(string image, string version) => new()
    {
        Role = MachineRole.ControlPlane,
        ClusterName = "demo",
        NodeName = "demo-cp-0",
        ProviderId = "packet://0b6a6c4e-5f2d-4d7e-9a51-3c1f0e2d7b88",
        KubernetesVersion = version,
        Image = image,
        ControlPlaneEndpointHost = EndpointHost,
        PodCidr = "10.244.0.0/16",
        ServiceCidr = "10.96.0.0/12",
        MachineNamespace = "default",
        MachineName = "demo-cp-0",
        CaCertificatePem = Pem("CERTIFICATE", "Q0EK"),
        CaKeyPem = Pem("RSA PRIVATE KEY", "Q0FLRVkK"),
        EtcdCaCertificatePem = Pem("CERTIFICATE", "RVRDRAo"),
        EtcdCaKeyPem = Pem("RSA PRIVATE KEY", "RVRDREtFWQo"),
        FrontProxyCaCertificatePem = Pem("CERTIFICATE", "RlAK"),
        FrontProxyCaKeyPem = Pem("RSA PRIVATE KEY", "RlBLRVkK"),
        ServiceAccountPublicKeyPem = Pem("PUBLIC KEY", "U0EK"),
        ServiceAccountPrivateKeyPem = Pem("RSA PRIVATE KEY", "U0FLRVkK"),
        BootstrapTokens = [ControlPlaneToken, WorkerToken, SecondWorkerToken],
    };

    /// <summary>
    /// A control plane joining the cluster of <see cref="ControlPlane"/>: the same placeholder keys, its own token, the
    /// CA pinned. With <paramref name="pki"/>: that cluster's real keys, and the pin of its CA.
    /// </summary>
    public static UserdataRequest JoiningControlPlane(string image, string version, ClusterPki? pki = null) =>
        Joining(MachineRole.JoiningControlPlane, "demo-cp-1", image, version, JoiningControlPlaneToken, pki);

    public static UserdataRequest For(string image, string version, MachineRole role) => role switch
    {
        MachineRole.ControlPlane => ControlPlane(image, version),
        MachineRole.JoiningControlPlane => JoiningControlPlane(image, version),
        _ => Worker(image, version),
    };

    public static UserdataRequest Worker(string image, string version) =>
        Joining(MachineRole.Worker, "demo-worker-0", image, version, WorkerToken, pki: null);

    /// <summary>
    /// Only the required fields of <paramref name="source"/> plus the ones named: a request that lacks everything else,
    /// to see what validation says about it.
    /// </summary>
    public static UserdataRequest Bare(UserdataRequest source, string? joinToken = null, string? caCertHash = null, string? containerRuntime = null) => new()
    {
        Role = source.Role, ClusterName = source.ClusterName, NodeName = source.NodeName, KubernetesVersion = source.KubernetesVersion,
        Image = source.Image, ControlPlaneEndpointHost = source.ControlPlaneEndpointHost, PodCidr = source.PodCidr, ServiceCidr = source.ServiceCidr,
        JoinToken = joinToken, CaCertHash = caCertHash, ContainerRuntime = containerRuntime,
    };

    /// <summary>A machine that joins with its own token and the pinned CA; a joining control plane also brings the shared keys.</summary>
    private static UserdataRequest Joining(MachineRole role, string nodeName, string image, string version, string token, ClusterPki? pki)
    {
        var keys = role == MachineRole.JoiningControlPlane ? ControlPlane(image, version) : null;
        return new()
        {
            Role = role,
            ClusterName = "demo",
            NodeName = nodeName,
            MachineName = nodeName,
            KubernetesVersion = version,
            Image = image,
            ControlPlaneEndpointHost = EndpointHost,
            PodCidr = "10.244.0.0/16",
            ServiceCidr = "10.96.0.0/12",
            CaCertificatePem = keys is null ? null : pki?.ClusterCa.CertificatePem ?? keys.CaCertificatePem,
            CaKeyPem = keys is null ? null : pki?.ClusterCa.PrivateKeyPem ?? keys.CaKeyPem,
            EtcdCaCertificatePem = keys is null ? null : pki?.EtcdCa.CertificatePem ?? keys.EtcdCaCertificatePem,
            EtcdCaKeyPem = keys is null ? null : pki?.EtcdCa.PrivateKeyPem ?? keys.EtcdCaKeyPem,
            FrontProxyCaCertificatePem = keys is null ? null : pki?.FrontProxyCa.CertificatePem ?? keys.FrontProxyCaCertificatePem,
            FrontProxyCaKeyPem = keys is null ? null : pki?.FrontProxyCa.PrivateKeyPem ?? keys.FrontProxyCaKeyPem,
            ServiceAccountPublicKeyPem = keys is null ? null : pki?.ServiceAccount.PublicKeyPem ?? keys.ServiceAccountPublicKeyPem,
            ServiceAccountPrivateKeyPem = keys is null ? null : pki?.ServiceAccount.PrivateKeyPem ?? keys.ServiceAccountPrivateKeyPem,
            JoinToken = token,
            CaCertHash = pki is null ? CaPin : SpkiPin.Compute(pki.ClusterCa.CertificatePem),
        };
    }

    /// <summary>
    /// The requests a catalogue entry serves: a worker's, or the first control plane's and, for a cloud-config entry,
    /// a joining control plane's (a shell entry cannot express that join).
    /// </summary>
    public static IEnumerable<UserdataRequest> For(PacketCluster.Models.MachineConfigInfo entry)
    {
        if (entry.ControlPlane is null)
        {
            return [Worker(entry.Image, entry.Kubelet)];
        }
        return entry.Format == MachineConfigCatalogue.CloudConfigFormat
            ? [ControlPlane(entry.Image, entry.Kubelet), JoiningControlPlane(entry.Image, entry.Kubelet)]
            : [ControlPlane(entry.Image, entry.Kubelet)];
    }

    /// <summary>Every string in a request that must never show up in a message or ToString.</summary>
    public static IEnumerable<string> Secrets(UserdataRequest r) =>
        new[] { r.CaKeyPem, r.EtcdCaKeyPem, r.FrontProxyCaKeyPem, r.ServiceAccountPrivateKeyPem, r.JoinToken }
            .Concat(r.BootstrapTokens)
            .Where(s => !string.IsNullOrEmpty(s))
            .Select(s => s!.Contains("-----BEGIN", StringComparison.Ordinal) ? s.Split('\n')[1] : s.Split('.')[1]);

    /// <summary>testdata/bootstrap in the source tree (so PACKETCLUSTER_UPDATE_GOLDEN=1 rewrites the checked-in files).</summary>
    public static string TestDataDirectory([CallerFilePath] string thisFile = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "testdata", "bootstrap"));

    /// <summary>A fresh directory under /tmp, deleted on dispose. The files in it hold (placeholder) key material.</summary>
    public static TempDirectory Temp(string name) => new(Directory.CreateTempSubdirectory("packetcluster-" + name + "-").FullName);

    internal sealed class TempDirectory(string path) : IDisposable
    {
        public string Path { get; } = path;

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
