using System.Security.Cryptography;
using Org.BouncyCastle.Asn1;

namespace PacketCluster.Engine.Pki;

/// <summary>
/// kubeadm's discovery-token-ca-cert-hash: SHA-256 over the CA's DER SubjectPublicKeyInfo. Joining machines pin the CA
/// with it instead of trusting whatever certificate cluster-info serves.
/// </summary>
public static class SpkiPin
{
    public const string Prefix = "sha256:";

    /// <returns>"sha256:" followed by 64 lowercase hex digits.</returns>
    public static string Compute(string certificatePem)
    {
        var certificate = PkiPem.TryReadCertificate(certificatePem)
            ?? throw new PacketClusterException("InvalidCertificate", ErrorKind.InvalidData,
                "Cannot compute a CA pin: the input is not a PEM \"CERTIFICATE\" block that can be parsed.",
                "Pass a PEM certificate (a -----BEGIN CERTIFICATE----- block).");

        // Hash the SPKI exactly as encoded in the certificate, not a re-encoding of the parsed key.
        var spki = certificate.CertificateStructure.SubjectPublicKeyInfo.GetEncoded(Asn1Encodable.Der);
        return Prefix + Convert.ToHexString(SHA256.HashData(spki)).ToLowerInvariant();
    }
}
