using PacketCluster.Engine.Pki;
using Xunit;

namespace PacketCluster.Engine.Tests.Pki;

public sealed class ServiceAccountKeyPairTests : IDisposable
{
    private readonly OpenSsl _openssl = new();

    public void Dispose() => _openssl.Dispose();

    [Fact]
    public void Generated_pair_is_rsa_2048_with_spki_public_and_pkcs1_private_halves_that_match()
    {
        var pair = ServiceAccountKeyPair.Generate();
        _openssl.Write("sa.key", pair.PrivateKeyPem);

        Assert.StartsWith("-----BEGIN PUBLIC KEY-----\n", pair.PublicKeyPem);
        Assert.StartsWith("-----BEGIN RSA PRIVATE KEY-----\n", pair.PrivateKeyPem);
        Assert.Contains("Private-Key: (2048 bit", _openssl.RunOk("rsa", "-noout", "-text", "-in", "sa.key"));
        Assert.Equal(pair.PublicKeyPem, _openssl.RunOk("rsa", "-pubout", "-in", "sa.key"));
    }

    [Fact]
    public void FromPrivateKey_accepts_pkcs8_and_derives_the_same_public_key()
    {
        var pair = ServiceAccountKeyPair.Generate();
        _openssl.Write("sa.key", pair.PrivateKeyPem);
        var pkcs8 = _openssl.RunOk("pkcs8", "-topk8", "-nocrypt", "-in", "sa.key");

        var rebuilt = ServiceAccountKeyPair.FromPrivateKey(pkcs8);

        Assert.Equal(pair.PublicKeyPem, rebuilt.PublicKeyPem);
        Assert.Equal(pair.PrivateKeyPem, rebuilt.PrivateKeyPem);
    }

    [Fact]
    public void FromPrivateKey_rejects_an_ec_key()
    {
        var ecKey = CertificateAuthority.Generate("sa-test").IssueClientCertificate("x", []).PrivateKeyPem;

        var error = Assert.Throws<PacketClusterException>(() => ServiceAccountKeyPair.FromPrivateKey(ecKey));

        Assert.Equal("InvalidServiceAccountKey", error.ErrorId);
        Assert.DoesNotContain("-----BEGIN", error.ToString());
    }
}
