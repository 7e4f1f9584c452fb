using System.Formats.Asn1;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PacketCluster.Simulator.Boot.Kubelet;

/// <summary>TLS trust as a joining machine has it: nothing at first, then exactly the cluster CA it pinned.</summary>
internal static class ClusterTrust
{
    public const string PinPrefix = "sha256:";

    /// <summary>kubeadm's CA pin: "sha256:" + lowercase hex of SHA-256 over the certificate's DER SubjectPublicKeyInfo, as encoded in it.</summary>
    public static string PinOf(X509Certificate2 certificate)
    {
        // Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
        // validity, subject, subjectPublicKeyInfo, ... } }: take the SPKI bytes as they are, not a re-encoding.
        var tbs = new AsnReader(certificate.RawData, AsnEncodingRules.DER).ReadSequence().ReadSequence();
        if (tbs.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            tbs.ReadEncodedValue();
        for (var field = 0; field < 5; field++)
            tbs.ReadEncodedValue();
        var spki = tbs.ReadEncodedValue().Span;
        return PinPrefix + Convert.ToHexStringLower(SHA256.HashData(spki));
    }

    /// <summary>Whether <paramref name="pin"/> has kubeadm's format ("sha256:" and 64 hex digits).</summary>
    public static bool IsWellFormedPin(string pin) =>
        pin.StartsWith(PinPrefix, StringComparison.OrdinalIgnoreCase)
        && pin.Length == PinPrefix.Length + 64
        && pin.AsSpan(PinPrefix.Length).ContainsAnyExcept("0123456789abcdefABCDEF") is false;

    public static X509Certificate2Collection ParseBundle(string pem)
    {
        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPem(pem);
        return bundle;
    }

    /// <summary>A handler that accepts any server certificate: only for the anonymous first cluster-info read, which the JWS and the pin then vouch for.</summary>
    public static SocketsHttpHandler Insecure(TimeSpan connectTimeout) => new()
    {
        ConnectTimeout = connectTimeout,
        SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
    };

    /// <summary>A handler that trusts <paramref name="roots"/> and nothing else (not the system store); a host-name mismatch stays fatal.</summary>
    public static SocketsHttpHandler Trusting(X509Certificate2Collection roots, TimeSpan connectTimeout) => new()
    {
        ConnectTimeout = connectTimeout,
        SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, errors) => IsTrusted(roots, certificate, errors) },
    };

    private static bool IsTrusted(X509Certificate2Collection roots, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            return false;
        return ChainsTo(roots, certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }

    /// <summary>Whether <paramref name="certificate"/> was issued by one of <paramref name="roots"/> (and nothing else: not the system store).</summary>
    public static bool ChainsTo(X509Certificate2Collection roots, X509Certificate2 certificate)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
