using PacketCluster.Engine.Pki;
using Xunit;

namespace PacketCluster.Engine.Tests.Pki;

public sealed class SpkiPinTests : IDisposable
{
    private readonly OpenSsl _openssl = new();

    public void Dispose() => _openssl.Dispose();

    [Fact]
    public void Pin_of_an_rsa_ca_equals_the_kubeadm_openssl_recipe()
    {
        var ca = CertificateAuthority.Generate("pin-test");

        Assert.Equal(OpensslPin(ca.CertificatePem), SpkiPin.Compute(ca.CertificatePem));
    }

    [Fact]
    public void Pin_of_an_ec_certificate_equals_the_openssl_recipe()
    {
        var leaf = CertificateAuthority.Generate("pin-test-ec").IssueClientCertificate("x", []);

        var pin = SpkiPin.Compute(leaf.CertificatePem);

        Assert.Matches("^sha256:[0-9a-f]{64}$", pin);
        Assert.Equal(OpensslPin(leaf.CertificatePem), pin);
    }

    [Fact]
    public void Garbage_is_rejected()
    {
        var error = Assert.Throws<PacketClusterException>(() => SpkiPin.Compute("nope"));

        Assert.Equal("InvalidCertificate", error.ErrorId);
    }

    /// <summary>The documented kubeadm recipe for --discovery-token-ca-cert-hash.</summary>
    private string OpensslPin(string certificatePem)
    {
        _openssl.Write("ca.crt", certificatePem);
        var result = _openssl.Shell("openssl x509 -in ca.crt -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum");
        Assert.True(result.ExitCode == 0, result.Describe());
        return "sha256:" + result.StandardOutput.Split(' ')[0];
    }
}
