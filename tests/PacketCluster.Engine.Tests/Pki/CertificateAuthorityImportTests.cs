using PacketCluster.Engine.Pki;
using Xunit;

namespace PacketCluster.Engine.Tests.Pki;

public sealed class CertificateAuthorityImportTests : IDisposable
{
    private static readonly Lazy<CertificateAuthority> SharedCa = new(() => CertificateAuthority.Generate("import-source"));
    private static readonly Lazy<CertificateAuthority> OtherCa = new(() => CertificateAuthority.Generate("unrelated"));

    private readonly OpenSsl _openssl = new();

    public void Dispose() => _openssl.Dispose();

    [Fact]
    public void Round_trip_keeps_the_certificate_key_and_names()
    {
        var source = SharedCa.Value;

        var imported = CertificateAuthority.Import(source.CertificatePem, source.PrivateKeyPem);

        Assert.Equal(source.CertificatePem, imported.CertificatePem);
        Assert.Equal(source.PrivateKeyPem, imported.PrivateKeyPem);
        Assert.Equal("import-source", imported.CommonName);
        Assert.Equal(source.NotAfter, imported.NotAfter);
    }

    [Fact]
    public void Openssl_made_rsa_ca_with_pkcs8_key_is_imported_and_its_key_rewritten_as_pkcs1()
    {
        _openssl.RunOk("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=openssl-ca", "-days", "30",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", "ca.key", "-out", "ca.crt");
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", _openssl.Read("ca.key"));

        var ca = CertificateAuthority.Import(_openssl.Read("ca.crt"), _openssl.Read("ca.key"));

        Assert.Equal("openssl-ca", ca.CommonName);
        Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----\n", ca.PrivateKeyPem);
        AssertIssuesVerifiableCertificates(ca);
    }

    [Fact]
    public void Openssl_made_ec_ca_is_imported_from_pkcs8_and_sec1_keys()
    {
        _openssl.RunOk("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-subj", "/CN=ec-ca", "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE",
            "-keyout", "ca.key", "-out", "ca.crt");
        _openssl.RunOk("ec", "-in", "ca.key", "-out", "ca-sec1.key");
        Assert.StartsWith("-----BEGIN EC PRIVATE KEY-----", _openssl.Read("ca-sec1.key"));

        var fromPkcs8 = CertificateAuthority.Import(_openssl.Read("ca.crt"), _openssl.Read("ca.key"));
        var fromSec1 = CertificateAuthority.Import(_openssl.Read("ca.crt"), _openssl.Read("ca-sec1.key"));

        Assert.Equal(fromPkcs8.PrivateKeyPem, fromSec1.PrivateKeyPem);
        AssertIssuesVerifiableCertificates(fromSec1);
    }

    [Fact]
    public void Leaf_certificate_is_rejected_as_not_a_ca()
    {
        var leaf = SharedCa.Value.IssueClientCertificate("not-a-ca", []);

        var error = Assert.Throws<PacketClusterException>(() => CertificateAuthority.Import(leaf.CertificatePem, leaf.PrivateKeyPem));

        AssertInvalid(error, leaf.PrivateKeyPem);
        Assert.Contains("not a CA", error.Message);
    }

    [Fact]
    public void Key_of_another_ca_is_rejected()
    {
        var error = Assert.Throws<PacketClusterException>(
            () => CertificateAuthority.Import(SharedCa.Value.CertificatePem, OtherCa.Value.PrivateKeyPem));

        AssertInvalid(error, OtherCa.Value.PrivateKeyPem);
        Assert.Contains("does not belong", error.Message);
    }

    [Fact]
    public void Ec_key_for_an_rsa_ca_is_rejected()
    {
        var ecKey = SharedCa.Value.IssueClientCertificate("x", []).PrivateKeyPem;

        var error = Assert.Throws<PacketClusterException>(() => CertificateAuthority.Import(SharedCa.Value.CertificatePem, ecKey));

        AssertInvalid(error, ecKey);
    }

    [Fact]
    public void Expired_ca_is_rejected()
    {
        var expired = CertificateAuthority.Generate("expired", TimeSpan.FromDays(365), DateTimeOffset.UtcNow.AddYears(-2));

        var error = Assert.Throws<PacketClusterException>(() => CertificateAuthority.Import(expired.CertificatePem, expired.PrivateKeyPem));

        AssertInvalid(error, expired.PrivateKeyPem);
        Assert.Contains("expired", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not a pem at all")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END CERTIFICATE-----\n")]
    [InlineData("-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n")]
    public void Garbage_certificate_is_rejected(string certificatePem)
    {
        var error = Assert.Throws<PacketClusterException>(() => CertificateAuthority.Import(certificatePem, SharedCa.Value.PrivateKeyPem));

        AssertInvalid(error, SharedCa.Value.PrivateKeyPem);
    }

    [Fact]
    public void Garbage_key_is_rejected_without_echoing_it()
    {
        var body = SharedCa.Value.PrivateKeyPem.Split('\n')[3];
        var brokenKey = $"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n";

        var error = Assert.Throws<PacketClusterException>(() => CertificateAuthority.Import(SharedCa.Value.CertificatePem, brokenKey));

        AssertInvalid(error, brokenKey);
        Assert.DoesNotContain(body, error.ToString());
    }

    [Fact]
    public void Encrypted_key_is_rejected()
    {
        _openssl.Write("ca.key", SharedCa.Value.PrivateKeyPem);
        _openssl.RunOk("pkcs8", "-topk8", "-in", "ca.key", "-passout", "pass:secret", "-out", "encrypted.key");
        var encrypted = _openssl.Read("encrypted.key");
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", encrypted);

        var error = Assert.Throws<PacketClusterException>(() => CertificateAuthority.Import(SharedCa.Value.CertificatePem, encrypted));

        AssertInvalid(error, encrypted);
    }

    [Fact]
    public void Certificate_pem_passed_as_key_is_rejected()
    {
        var error = Assert.Throws<PacketClusterException>(
            () => CertificateAuthority.Import(SharedCa.Value.CertificatePem, SharedCa.Value.CertificatePem));

        AssertInvalid(error, SharedCa.Value.PrivateKeyPem);
    }

    private void AssertIssuesVerifiableCertificates(CertificateAuthority ca)
    {
        _openssl.Write("issued.crt", ca.IssueClientCertificate("someone", ["group"]).CertificatePem);
        _openssl.Write("imported-ca.crt", ca.CertificatePem);
        Assert.Equal("issued.crt: OK", _openssl.RunOk("verify", "-CAfile", "imported-ca.crt", "issued.crt").Trim());
    }

    /// <summary>Stable id and kind, and nothing of the key in the message or any inner exception.</summary>
    private static void AssertInvalid(PacketClusterException error, string keyPem)
    {
        Assert.Equal("InvalidCertificateAuthority", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, error.Kind);

        var everything = error.ToString();
        Assert.DoesNotContain("PRIVATE KEY", everything);
        Assert.DoesNotContain("-----BEGIN", everything);
        foreach (var line in keyPem.Split('\n').Where(line => line.Length >= 16 && !line.StartsWith("-----")))
            Assert.DoesNotContain(line[..16], everything);
    }
}
