using System.Text;
using System.Text.RegularExpressions;

namespace PacketCluster.Simulator.Boot.Kubelet;

/// <summary>
/// What a kubelet keeps on its machine after the TLS bootstrap, as kubeadm and the kubelet lay it out:
/// <c>/etc/kubernetes/kubelet.conf</c> (the API server and the cluster CA) pointing at
/// <c>/var/lib/kubelet/pki/kubelet-client-current.pem</c> (its client certificate and key, 0600). A machine powered
/// off and on again starts its kubelet from these: cloud-init runs <c>kubeadm join</c> once per instance, and the
/// bootstrap token it used is revoked once the Node registered.
/// </summary>
internal static partial class KubeletCredentialFiles
{
    public const string KubeconfigPath = "/etc/kubernetes/kubelet.conf";
    public const string ClientPemPath = "/var/lib/kubelet/pki/kubelet-client-current.pem";

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public static void Save(MachineRoot root, NodeCredentials credentials)
    {
        var ca = string.Concat(credentials.CertificateAuthorities.Select(c => c.ExportCertificatePem() + "\n"));
        root.Write(ClientPemPath, Encoding.ASCII.GetBytes(credentials.CertificatePem.TrimEnd() + "\n" + credentials.PrivateKeyPem.TrimEnd() + "\n"), Private);
        root.Write(KubeconfigPath, Encoding.ASCII.GetBytes(
            $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: default-cluster
              cluster:
                server: {credentials.Server}
                certificate-authority-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes(ca))}
            users:
            - name: default-auth
              user:
                client-certificate: {ClientPemPath}
                client-key: {ClientPemPath}
            contexts:
            - name: default-context
              context:
                cluster: default-cluster
                user: default-auth
            current-context: default-context

            """), Private);
    }

    /// <summary>The saved server (https://host:port), CA bundle, certificate and key; null when the machine never joined.</summary>
    public static (string Server, string CaPem, string CertificatePem, string KeyPem)? TryLoad(MachineRoot root)
    {
        var kubeconfig = root.Path(KubeconfigPath);
        var pem = root.Path(ClientPemPath);
        if (!File.Exists(kubeconfig) || !File.Exists(pem)) return null;
        var text = File.ReadAllText(kubeconfig);
        var server = Server().Match(text);
        var ca = Ca().Match(text);
        var both = File.ReadAllText(pem);
        var keyAt = both.IndexOf("-----BEGIN", both.IndexOf("-----END CERTIFICATE-----", StringComparison.Ordinal) is var end and >= 0 ? end : 0, StringComparison.Ordinal);
        if (!server.Success || !ca.Success || keyAt <= 0) return null;
        return (server.Groups[1].Value.Trim(), Encoding.ASCII.GetString(Convert.FromBase64String(ca.Groups[1].Value.Trim())), both[..keyAt], both[keyAt..]);
    }

    [GeneratedRegex(@"^\s*server:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex Server();

    [GeneratedRegex(@"^\s*certificate-authority-data:\s*(\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex Ca();
}
