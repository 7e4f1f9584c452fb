using System.Net;
using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PacketCluster.Simulator.Boot;

/// <summary>A certificate and its private key, both PEM. The key never goes to a log.</summary>
public sealed record IssuedPem(string CertificatePem, string KeyPem);

/// <summary>
/// The certificates <c>kubeadm init</c> issues from the CAs the userdata wrote, made with .NET's CertificateRequest:
/// ECDSA P-256 leaf keys, signed by the CA's own key (RSA or ECDSA), valid one year or until the CA expires.
/// </summary>
public sealed class BootCa : IDisposable
{
    private static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(365);

    private readonly X509Certificate2 _ca;

    private BootCa(X509Certificate2 ca, string certificatePem, string keyPem)
    {
        _ca = ca;
        CertificatePem = certificatePem;
        KeyPem = keyPem;
    }

    public string CertificatePem { get; }
    public string KeyPem { get; }
    public string Subject => _ca.Subject;

    /// <exception cref="CryptographicException">The PEM is not a certificate, not a key, or they do not match.</exception>
    public static BootCa Load(string certificatePem, string keyPem)
    {
        var ca = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        if (!ca.HasPrivateKey) throw new CryptographicException("the CA key does not belong to the CA certificate");
        return new BootCa(ca, certificatePem, keyPem);
    }

    /// <summary>A fresh self-signed RSA 2048 CA for 10 years, as kubeadm makes for a CA the config does not bring.</summary>
    public static BootCa Generate(string commonName)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        using var certificate = request.CreateSelfSigned(now - Backdate, now.AddYears(10));
        return Load(certificate.ExportCertificatePem(), key.ExportRSAPrivateKeyPem());
    }

    public IssuedPem IssueServing(string commonName, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses)
    {
        return Issue(new X500DistinguishedName($"CN={commonName}"), X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, [ServerAuth], San(dnsNames, addresses));
    }

    /// <summary>
    /// A certificate that serves and authenticates with the same key, as kubeadm's etcd server and peer certificates do
    /// (etcd members dial each other with their peer certificate and check the caller's).
    /// </summary>
    public IssuedPem IssueServingAndClient(string commonName, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses)
    {
        return Issue(new X500DistinguishedName($"CN={commonName}"), X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, [ServerAuth, ClientAuth], San(dnsNames, addresses));
    }

    private static X509Extension San(IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses)
    {
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in dnsNames.Distinct(StringComparer.OrdinalIgnoreCase)) san.AddDnsName(name);
        foreach (var address in addresses.Distinct()) san.AddIpAddress(address);
        return san.Build();
    }

    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    public IssuedPem IssueClient(string commonName, IEnumerable<string> groups)
    {
        var subject = new X500DistinguishedNameBuilder();
        foreach (var group in groups) subject.AddOrganizationName(group);
        subject.AddCommonName(commonName);
        return Issue(subject.Build(), X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, [ClientAuth], null);
    }

    private IssuedPem Issue(X500DistinguishedName subject, X509KeyUsageFlags usage, string[] extendedUsages, X509Extension? san)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        var usages = new OidCollection();
        foreach (var oid in extendedUsages) usages.Add(new Oid(oid));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (san is not null) request.CertificateExtensions.Add(san);

        var now = DateTimeOffset.UtcNow;
        var notAfter = now + LeafLifetime < _ca.NotAfter ? now + LeafLifetime : new DateTimeOffset(_ca.NotAfter.ToUniversalTime());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive
        using var certificate = request.Create(_ca.SubjectName, Signer(), now - Backdate, notAfter, serial);
        return new IssuedPem(certificate.ExportCertificatePem(), key.ExportECPrivateKeyPem());
    }

    private X509SignatureGenerator Signer()
    {
        if (_ca.GetRSAPrivateKey() is { } rsa) return X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1);
        if (_ca.GetECDsaPrivateKey() is { } ecdsa) return X509SignatureGenerator.CreateForECDsa(ecdsa);
        throw new CryptographicException("the CA key is neither RSA nor ECDSA");
    }

    /// <summary>A service-account key pair as kubeadm writes it: sa.key (PKCS#1 RSA) and sa.pub (SubjectPublicKeyInfo).</summary>
    public static (string PrivatePem, string PublicPem) GenerateServiceAccountKey()
    {
        using var key = RSA.Create(2048);
        return (key.ExportRSAPrivateKeyPem(), key.ExportSubjectPublicKeyInfoPem());
    }

    /// <summary>The first address of a CIDR plus one: the cluster IP of the kubernetes Service (10.96.0.0/12 → 10.96.0.1).</summary>
    public static IPAddress FirstServiceAddress(string cidr)
    {
        var network = IPNetwork.Parse(cidr.Split(',')[0].Trim());
        var bytes = network.BaseAddress.GetAddressBytes();
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true) + 1;
        var result = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var padded = new byte[bytes.Length];
        result.CopyTo(padded, padded.Length - result.Length);
        return new IPAddress(padded);
    }

    public void Dispose() => _ca.Dispose();
}
