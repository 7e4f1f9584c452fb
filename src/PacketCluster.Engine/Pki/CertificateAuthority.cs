using System.Net;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.X509;
using Org.BouncyCastle.X509.Extension;

namespace PacketCluster.Engine.Pki;

/// <summary>
/// A CA certificate with its private key, able to issue the leaf certificates a cluster needs.
/// Generated CAs are RSA 2048 like kubeadm's; imported CAs may also be EC.
/// </summary>
public sealed class CertificateAuthority
{
    public const string InvalidErrorId = "InvalidCertificateAuthority";

    /// <summary>Ten years: a CA that expires with its first leaf (the seed's one-year CA) strands every cluster after a year.</summary>
    public static readonly TimeSpan DefaultValidity = TimeSpan.FromDays(3650);

    public static readonly TimeSpan DefaultLeafValidity = TimeSpan.FromDays(365);

    /// <summary>Back-dates NotBefore (kubeadm does the same) so a machine whose clock runs a little behind still accepts fresh certificates.</summary>
    internal static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromMinutes(5);

    private const int SerialNumberBits = 128;

    private readonly X509Certificate _certificate;
    private readonly AsymmetricKeyParameter _privateKey;
    private readonly byte[] _keyIdentifier;

    private CertificateAuthority(X509Certificate certificate, AsymmetricKeyParameter privateKey)
    {
        _certificate = certificate;
        _privateKey = privateKey;
        _keyIdentifier = KeyIdentifierOf(certificate);
        CertificatePem = PkiPem.Write(certificate);
        PrivateKeyPem = PkiPem.Write(privateKey);
        CommonName = CommonNameOf(certificate.SubjectDN) ?? certificate.SubjectDN.ToString();
        NotAfter = ToUtc(certificate.NotAfter);
    }

    public string CertificatePem { get; }

    /// <summary>PKCS#1 "RSA PRIVATE KEY" for RSA CAs (what kubeadm writes to ca.key), SEC1 "EC PRIVATE KEY" for EC CAs.</summary>
    public string PrivateKeyPem { get; }

    public string CommonName { get; }
    public DateTimeOffset NotAfter { get; }

    internal X509Certificate Certificate => _certificate;

    public static CertificateAuthority Generate(string commonName, TimeSpan? validity = null) =>
        Generate(commonName, validity ?? DefaultValidity, DateTimeOffset.UtcNow);

    /// <summary>Generates with an explicit "now", so tests can mint a CA that has already expired.</summary>
    internal static CertificateAuthority Generate(string commonName, TimeSpan validity, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        if (validity <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(validity), validity, "A CA must be valid for a positive time span.");

        var keys = KeyPairs.GenerateRsa2048();
        var subject = DistinguishedName(commonName, []);
        var generator = NewGenerator(subject, subject, keys.Public, now - ClockSkewAllowance, now + validity);
        generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(true));
        generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(
            KeyUsage.KeyCertSign | KeyUsage.CrlSign | KeyUsage.DigitalSignature | KeyUsage.KeyEncipherment));
        generator.AddExtension(X509Extensions.SubjectKeyIdentifier, false, SubjectKeyIdentifierFor(keys.Public));

        var certificate = generator.Generate(new Asn1SignatureFactory(KeyPairs.SignatureAlgorithmFor(keys.Private), keys.Private, KeyPairs.Random));
        return new CertificateAuthority(certificate, keys.Private);
    }

    /// <summary>
    /// Imports a user-supplied CA. The key may be PKCS#1, PKCS#8 (unencrypted) or SEC1 EC. Rejected with
    /// <see cref="InvalidErrorId"/>: unreadable PEM, a certificate that is not a CA, an expired certificate, or a key
    /// that does not belong to the certificate. Messages never quote the input.
    /// </summary>
    public static CertificateAuthority Import(string certificatePem, string privateKeyPem) =>
        Import(certificatePem, privateKeyPem, "CA");

    /// <summary>
    /// CAs imported in this process, by a hash of their two PEMs. Parsing an RSA private key costs about 30 ms (BouncyCastle
    /// proves the modulus composite), which every Get-PacketKubeconfig and pass that mints from a stored CA paid again.
    /// The objects are immutable; a hit still has its expiry checked. Bounded: cleared past <see cref="ImportCacheLimit"/>.
    /// </summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, CertificateAuthority> Imported = new(StringComparer.Ordinal);
    private const int ImportCacheLimit = 64;

    /// <param name="role">Names the CA in messages ("etcd CA"), so a user with several knows which one to fix.</param>
    internal static CertificateAuthority Import(string certificatePem, string privateKeyPem, string role)
    {
        var key = ImportKey(certificatePem, privateKeyPem);
        if (key is not null && Imported.TryGetValue(key, out var known))
        {
            if (known.NotAfter <= DateTimeOffset.UtcNow)
                throw Invalid($"The {role} certificate ({known._certificate.SubjectDN}) expired on {known.NotAfter:u}.", role);
            return known;
        }
        var imported = ImportUncached(certificatePem, privateKeyPem, role);
        if (key is not null)
        {
            if (Imported.Count >= ImportCacheLimit) Imported.Clear();
            Imported[key] = imported;
        }
        return imported;
    }

    private static string? ImportKey(string? certificatePem, string? privateKeyPem)
    {
        if (certificatePem is null || privateKeyPem is null) return null;
        var bytes = System.Text.Encoding.UTF8.GetBytes(certificatePem + "\n\0\n" + privateKeyPem);
        try { return Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(bytes)); }
        finally { System.Security.Cryptography.CryptographicOperations.ZeroMemory(bytes); }
    }

    private static CertificateAuthority ImportUncached(string certificatePem, string privateKeyPem, string role)
    {
        var certificate = PkiPem.TryReadCertificate(certificatePem)
            ?? throw Invalid($"The {role} certificate is not a PEM \"CERTIFICATE\" block that can be parsed.", role);

        if (certificate.GetBasicConstraints() < 0)
            throw Invalid($"The {role} certificate ({certificate.SubjectDN}) is not a CA: it lacks basicConstraints CA:TRUE.", role);

        var keyUsage = certificate.GetKeyUsage();
        const int keyCertSignBit = 5;
        if (keyUsage is not null && !keyUsage[keyCertSignBit])
            throw Invalid($"The {role} certificate ({certificate.SubjectDN}) may not sign certificates: its key usage lacks keyCertSign.", role);

        if (ToUtc(certificate.NotAfter) <= DateTimeOffset.UtcNow)
            throw Invalid($"The {role} certificate ({certificate.SubjectDN}) expired on {ToUtc(certificate.NotAfter):u}.", role);

        var privateKey = PkiPem.TryReadPrivateKey(privateKeyPem)
            ?? throw Invalid($"The {role} private key is not an unencrypted PEM RSA or EC key (PKCS#1, PKCS#8 or SEC1).", role);

        if (!KeyPairs.AreMatching(privateKey, certificate.GetPublicKey()))
            throw Invalid($"The {role} private key does not belong to the {role} certificate ({certificate.SubjectDN}).", role);

        return new CertificateAuthority(certificate, privateKey);
    }

    /// <summary>
    /// A client certificate (clientAuth) with an ECDSA P-256 key: generation takes about a millisecond, so kubeconfigs
    /// can be minted on demand. Kubernetes reads the user from CN and the groups from O.
    /// </summary>
    public IssuedCertificate IssueClientCertificate(string commonName, IReadOnlyList<string> organizations, TimeSpan? validity = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        ArgumentNullException.ThrowIfNull(organizations);

        return Issue(
            DistinguishedName(commonName, organizations),
            commonName,
            validity,
            new ExtendedKeyUsage(KeyPurposeID.id_kp_clientAuth),
            subjectAlternativeNames: null);
    }

    /// <summary>
    /// A serving certificate (serverAuth) for the given DNS names and IP addresses. The key is ECDSA P-256:
    /// kube-apiserver 1.20, etcd, Go, .NET and OpenSSL all accept it, and it costs about a millisecond to make
    /// where RSA 2048 costs a tenth of a second or more on a busy two-core machine.
    /// </summary>
    public IssuedCertificate IssueServingCertificate(
        string commonName, IEnumerable<string> dnsNames, IEnumerable<IPAddress> ipAddresses, TimeSpan? validity = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        ArgumentNullException.ThrowIfNull(dnsNames);
        ArgumentNullException.ThrowIfNull(ipAddresses);

        var names = dnsNames.Select(name => new GeneralName(GeneralName.DnsName, name))
            .Concat(ipAddresses.Select(ip => new GeneralName(GeneralName.IPAddress, new DerOctetString(ip.GetAddressBytes()))))
            .ToArray();
        // Clients match the host against SANs only (CN matching is long gone), so a SAN-less serving cert is useless.
        if (names.Length == 0)
            throw new ArgumentException("A serving certificate needs at least one DNS name or IP address.", nameof(dnsNames));

        return Issue(
            DistinguishedName(commonName, []),
            commonName,
            validity,
            new ExtendedKeyUsage(KeyPurposeID.id_kp_serverAuth),
            new GeneralNames(names));
    }

    public override string ToString() => $"CertificateAuthority CN={CommonName}";

    private IssuedCertificate Issue(
        X509Name subject, string commonName, TimeSpan? validity, ExtendedKeyUsage extendedKeyUsage, GeneralNames? subjectAlternativeNames)
    {
        var lifetime = validity ?? DefaultLeafValidity;
        if (lifetime <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(validity), validity, "A certificate must be valid for a positive time span.");

        var now = DateTimeOffset.UtcNow;
        // A leaf outliving its CA would fail verification after the CA expires anyway; say so in the certificate.
        var notAfter = Min(now + lifetime, NotAfter);
        var keys = KeyPairs.GenerateEcP256();

        var generator = NewGenerator(_certificate.SubjectDN, subject, keys.Public, now - ClockSkewAllowance, notAfter);
        generator.AddExtension(X509Extensions.KeyUsage, true, new KeyUsage(KeyUsage.DigitalSignature | KeyUsage.KeyEncipherment));
        generator.AddExtension(X509Extensions.ExtendedKeyUsage, false, extendedKeyUsage);
        generator.AddExtension(X509Extensions.BasicConstraints, true, new BasicConstraints(false));
        generator.AddExtension(X509Extensions.AuthorityKeyIdentifier, false, new AuthorityKeyIdentifier(_keyIdentifier));
        if (subjectAlternativeNames is not null)
            generator.AddExtension(X509Extensions.SubjectAlternativeName, false, subjectAlternativeNames);

        var certificate = generator.Generate(new Asn1SignatureFactory(KeyPairs.SignatureAlgorithmFor(_privateKey), _privateKey, KeyPairs.Random));
        return new IssuedCertificate(commonName, PkiPem.Write(certificate), PkiPem.Write(keys.Private), ToUtc(certificate.NotAfter));
    }

    private static X509V3CertificateGenerator NewGenerator(
        X509Name issuer, X509Name subject, AsymmetricKeyParameter publicKey, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var generator = new X509V3CertificateGenerator();
        generator.SetSerialNumber(NewSerialNumber());
        generator.SetIssuerDN(issuer);
        generator.SetSubjectDN(subject);
        generator.SetNotBefore(notBefore.UtcDateTime);
        generator.SetNotAfter(notAfter.UtcDateTime);
        generator.SetPublicKey(publicKey);
        return generator;
    }

    /// <summary>Random and positive (RFC 5280 §4.1.2.2): browsers and Go reject zero or negative serials, and randomness avoids collisions across CAs.</summary>
    private static BigInteger NewSerialNumber()
    {
        BigInteger serial;
        do
        {
            serial = new BigInteger(SerialNumberBits, KeyPairs.Random);
        } while (serial.SignValue <= 0);
        return serial;
    }

    /// <summary>O= before CN=, in the order Go's pkix.Name writes them, so openssl shows what kubeadm's certificates show.</summary>
    private static X509Name DistinguishedName(string commonName, IReadOnlyList<string> organizations)
    {
        var oids = new List<DerObjectIdentifier>();
        var values = new List<string>();
        foreach (var organization in organizations)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(organization, nameof(organizations));
            oids.Add(X509Name.O);
            values.Add(organization);
        }
        oids.Add(X509Name.CN);
        values.Add(commonName);
        return new X509Name(oids, values);
    }

    private static SubjectKeyIdentifier SubjectKeyIdentifierFor(AsymmetricKeyParameter publicKey) =>
        X509ExtensionUtilities.CreateSubjectKeyIdentifier(publicKey);

    /// <summary>The CA's subject key identifier, or one computed from its key when an imported CA has none.</summary>
    private static byte[] KeyIdentifierOf(X509Certificate certificate)
    {
        var extension = certificate.GetExtensionValue(X509Extensions.SubjectKeyIdentifier);
        if (extension is not null)
            return SubjectKeyIdentifier.GetInstance(Asn1Object.FromByteArray(extension.GetOctets())).GetKeyIdentifier();
        return SubjectKeyIdentifierFor(certificate.GetPublicKey()).GetKeyIdentifier();
    }

    private static string? CommonNameOf(X509Name name) =>
        name.GetValueList(X509Name.CN).LastOrDefault();

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    private static DateTimeOffset ToUtc(DateTime time) =>
        new(DateTime.SpecifyKind(time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : time, DateTimeKind.Utc));

    private static PacketClusterException Invalid(string message, string role) =>
        new(InvalidErrorId, ErrorKind.InvalidData, message,
            $"Give a valid, unexpired CA certificate with its matching unencrypted PEM private key for the {role}.", target: role);
}
