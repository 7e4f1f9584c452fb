using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace PacketCluster.Engine.Workload;

/// <summary>
/// What makes a kubelet serving certificate request one to approve (kube-controller-manager signs but never approves
/// them, and metrics, logs and exec need them): the subject is <c>system:node:&lt;node&gt;</c> in <c>system:nodes</c>,
/// and every name and address it asks for is the node's name or an address of its Machine's device — so a node cannot
/// get a certificate for another machine's address.
/// </summary>
public static class KubeletServing
{
    public const string Signer = "kubernetes.io/kubelet-serving";

    public static bool IsFor(byte[]? requestPem, string nodeName, IReadOnlyCollection<string> addresses)
    {
        if (requestPem is not { Length: > 0 }) return false;
        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequestPem(Encoding.ASCII.GetString(requestPem), HashAlgorithmName.SHA256,
                CertificateRequestLoadOptions.UnsafeLoadCertificateExtensions);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            return false;
        }
        var subject = request.SubjectName.EnumerateRelativeDistinguishedNames().ToList();
        var commonNames = subject.Where(n => n.GetSingleElementType().Value == "2.5.4.3").Select(n => n.GetSingleElementValue()).ToList();
        var organizations = subject.Where(n => n.GetSingleElementType().Value == "2.5.4.10").Select(n => n.GetSingleElementValue()).ToList();
        if (commonNames is not [var cn] || cn != $"system:node:{nodeName}" || organizations is not ["system:nodes"]) return false;
        var names = request.CertificateExtensions.OfType<X509SubjectAlternativeNameExtension>().SingleOrDefault()
            ?? request.CertificateExtensions.Where(e => e.Oid?.Value == "2.5.29.17").Select(e => new X509SubjectAlternativeNameExtension(e.RawData)).SingleOrDefault();
        if (names is null) return false;
        var allowed = addresses.Select(a => IPAddress.TryParse(a, out var ip) ? ip : null).OfType<IPAddress>().ToHashSet();
        var ips = names.EnumerateIPAddresses().ToList();
        var dns = names.EnumerateDnsNames().ToList();
        return ips.Count + dns.Count > 0 && ips.All(allowed.Contains) && dns.All(d => string.Equals(d, nodeName, StringComparison.OrdinalIgnoreCase));
    }
}
