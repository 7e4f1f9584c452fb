using System.Net;
using PacketCluster.Engine.Pki;
using Xunit;

namespace PacketCluster.Engine.Tests.Pki;

public sealed class CertificateAuthorityTests : IDisposable
{
    // One RSA CA for the class: key generation is the slow part, and issuing does not change the CA.
    private static readonly Lazy<CertificateAuthority> SharedCa = new(() => CertificateAuthority.Generate("test-cluster"));

    private readonly OpenSsl _openssl = new();

    private static CertificateAuthority Ca => SharedCa.Value;

    public void Dispose() => _openssl.Dispose();

    [Fact]
    public void Generated_ca_is_a_critical_ca_with_the_kubeadm_key_usages()
    {
        _openssl.Write("ca.crt", Ca.CertificatePem);

        var text = _openssl.Text("ca.crt");

        Assert.Contains("Subject: CN = test-cluster", text);
        Assert.Contains("Issuer: CN = test-cluster", text);
        Assert.Contains("Public-Key: (2048 bit)", text);
        Assert.Contains("X509v3 Basic Constraints: critical\n                CA:TRUE", text);
        Assert.Contains("X509v3 Key Usage: critical\n                Digital Signature, Key Encipherment, Certificate Sign, CRL Sign", text);
        Assert.Contains("X509v3 Subject Key Identifier", text);
        Assert.Contains("sha256WithRSAEncryption", text);
        Assert.Equal("test-cluster", Ca.CommonName);
    }

    [Fact]
    public void Generated_ca_verifies_itself_and_lasts_ten_years_from_slightly_in_the_past()
    {
        _openssl.Write("ca.crt", Ca.CertificatePem);

        _openssl.RunOk("verify", "-CAfile", "ca.crt", "ca.crt");
        var notBefore = _openssl.NotBefore("ca.crt");
        var notAfter = _openssl.NotAfter("ca.crt");

        var now = DateTimeOffset.UtcNow;
        Assert.InRange(notBefore, now.AddMinutes(-10), now.AddMinutes(-1));
        Assert.InRange(notAfter, now.AddDays(3649), now.AddDays(3651));
        Assert.Equal(notAfter, Ca.NotAfter);
    }

    [Fact]
    public void Generated_ca_key_is_pkcs1_rsa_and_belongs_to_the_certificate()
    {
        _openssl.Write("ca.crt", Ca.CertificatePem);
        _openssl.Write("ca.key", Ca.PrivateKeyPem);

        Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----\n", Ca.PrivateKeyPem);
        Assert.Contains("RSA key ok", _openssl.RunOk("rsa", "-check", "-noout", "-in", "ca.key"));
        Assert.Equal(
            _openssl.RunOk("x509", "-noout", "-pubkey", "-in", "ca.crt"),
            _openssl.RunOk("pkey", "-pubout", "-in", "ca.key"));
    }

    [Fact]
    public void Serial_numbers_are_random_positive_and_at_most_128_bits()
    {
        _openssl.Write("a.crt", Ca.IssueClientCertificate("a", []).CertificatePem);
        _openssl.Write("b.crt", Ca.IssueClientCertificate("b", []).CertificatePem);

        var a = _openssl.RunOk("x509", "-noout", "-serial", "-in", "a.crt").Trim()["serial=".Length..];
        var b = _openssl.RunOk("x509", "-noout", "-serial", "-in", "b.crt").Trim()["serial=".Length..];

        Assert.NotEqual(a, b);
        Assert.InRange(a.TrimStart('0').Length, 1, 32);
        Assert.Matches("^[0-9A-F]+$", a);
    }

    [Fact]
    public void Client_certificate_verifies_against_the_ca_and_carries_user_and_groups()
    {
        var client = Ca.IssueClientCertificate("jane", ["team-a", "system:masters"]);
        _openssl.Write("ca.crt", Ca.CertificatePem);
        _openssl.Write("client.crt", client.CertificatePem);

        Assert.Equal("client.crt: OK", _openssl.RunOk("verify", "-CAfile", "ca.crt", "client.crt").Trim());
        _openssl.RunOk("verify", "-CAfile", "ca.crt", "-purpose", "sslclient", "client.crt");
        Assert.NotEqual(0, _openssl.Run("verify", "-CAfile", "ca.crt", "-purpose", "sslserver", "client.crt").ExitCode);
        Assert.Equal("subject=O = team-a, O = system:masters, CN = jane", _openssl.Subject("client.crt"));
        Assert.Equal("jane", client.CommonName);
    }

    [Fact]
    public void Client_certificate_has_ecdsa_key_client_usages_and_the_ca_key_identifier()
    {
        var client = Ca.IssueClientCertificate("jane", []);
        _openssl.Write("ca.crt", Ca.CertificatePem);
        _openssl.Write("client.crt", client.CertificatePem);
        _openssl.Write("client.key", client.PrivateKeyPem);

        var text = _openssl.Text("client.crt");
        var caSki = SubjectKeyIdentifier(_openssl.Text("ca.crt"));

        Assert.Contains("ASN1 OID: prime256v1", text);
        Assert.Contains("X509v3 Key Usage: critical\n                Digital Signature, Key Encipherment", text);
        Assert.Contains("X509v3 Extended Key Usage: \n                TLS Web Client Authentication\n", text);
        Assert.Contains("CA:FALSE", text);
        Assert.DoesNotContain("Subject Alternative Name", text);
        Assert.Matches($"X509v3 Authority Key Identifier: \\n\\s+(keyid:)?{caSki}\\n", text);
        Assert.StartsWith("-----BEGIN EC PRIVATE KEY-----\n", client.PrivateKeyPem);
        Assert.Equal(
            _openssl.RunOk("x509", "-noout", "-pubkey", "-in", "client.crt"),
            _openssl.RunOk("pkey", "-pubout", "-in", "client.key"));
    }

    [Fact]
    public void Client_certificate_lasts_one_year_by_default()
    {
        _openssl.Write("client.crt", Ca.IssueClientCertificate("jane", []).CertificatePem);

        var now = DateTimeOffset.UtcNow;
        Assert.InRange(_openssl.NotAfter("client.crt"), now.AddDays(365).AddMinutes(-1), now.AddDays(365).AddMinutes(1));
        Assert.InRange(_openssl.NotBefore("client.crt"), now.AddMinutes(-10), now.AddMinutes(-1));
    }

    [Fact]
    public void Leaf_validity_is_capped_at_the_ca_expiry()
    {
        var shortCa = CertificateAuthority.Generate("short-lived", TimeSpan.FromDays(30));
        _openssl.Write("ca.crt", shortCa.CertificatePem);
        _openssl.Write("client.crt", shortCa.IssueClientCertificate("jane", [], TimeSpan.FromDays(365)).CertificatePem);

        Assert.Equal(_openssl.NotAfter("ca.crt"), _openssl.NotAfter("client.crt"));
    }

    [Fact]
    public void Client_certificate_does_not_verify_against_another_ca()
    {
        var other = CertificateAuthority.Generate("other-cluster");
        _openssl.Write("other.crt", other.CertificatePem);
        _openssl.Write("client.crt", Ca.IssueClientCertificate("jane", []).CertificatePem);

        var result = _openssl.Run("verify", "-CAfile", "other.crt", "client.crt");

        Assert.NotEqual(0, result.ExitCode);
    }

    [Fact]
    public void Serving_certificate_has_the_sans_and_server_usage()
    {
        var serving = Ca.IssueServingCertificate(
            "kube-apiserver",
            ["localhost", "kubernetes.default.svc.cluster.local"],
            [IPAddress.Loopback, IPAddress.Parse("10.96.0.1"), IPAddress.IPv6Loopback]);
        _openssl.Write("ca.crt", Ca.CertificatePem);
        _openssl.Write("apiserver.crt", serving.CertificatePem);

        var text = _openssl.Text("apiserver.crt");

        _openssl.RunOk("verify", "-CAfile", "ca.crt", "-purpose", "sslserver", "apiserver.crt");
        Assert.Contains(
            "DNS:localhost, DNS:kubernetes.default.svc.cluster.local, IP Address:127.0.0.1, IP Address:10.96.0.1, IP Address:0:0:0:0:0:0:0:1",
            text);
        Assert.Contains("TLS Web Server Authentication", text);
        Assert.Contains("Hostname localhost does match certificate", _openssl.RunOk("x509", "-noout", "-checkhost", "localhost", "-in", "apiserver.crt"));
        Assert.Contains("IP 127.0.0.1 does match certificate", _openssl.RunOk("x509", "-noout", "-checkip", "127.0.0.1", "-in", "apiserver.crt"));
        Assert.Contains("does NOT match", _openssl.RunOk("x509", "-noout", "-checkip", "127.0.0.2", "-in", "apiserver.crt"));
    }

    [Fact]
    public void Serving_certificate_without_any_name_is_refused()
    {
        Assert.Throws<ArgumentException>(() => Ca.IssueServingCertificate("nothing", [], []));
    }

    [Fact]
    public void ToString_names_the_ca_without_key_material()
    {
        Assert.Equal("CertificateAuthority CN=test-cluster", Ca.ToString());
    }

    private static string SubjectKeyIdentifier(string certificateText)
    {
        const string header = "X509v3 Subject Key Identifier: \n";
        var start = certificateText.IndexOf(header, StringComparison.Ordinal) + header.Length;
        return certificateText[start..certificateText.IndexOf('\n', start)].Trim();
    }
}
