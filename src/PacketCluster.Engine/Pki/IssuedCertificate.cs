namespace PacketCluster.Engine.Pki;

/// <summary>A leaf certificate and its private key, both PEM. <see cref="ToString"/> never shows the key.</summary>
public sealed class IssuedCertificate
{
    internal IssuedCertificate(string commonName, string certificatePem, string privateKeyPem, DateTimeOffset notAfter)
    {
        CommonName = commonName;
        CertificatePem = certificatePem;
        PrivateKeyPem = privateKeyPem;
        NotAfter = notAfter;
    }

    public string CommonName { get; }
    public string CertificatePem { get; }
    public string PrivateKeyPem { get; }
    public DateTimeOffset NotAfter { get; }

    public override string ToString() => $"IssuedCertificate CN={CommonName}";
}
