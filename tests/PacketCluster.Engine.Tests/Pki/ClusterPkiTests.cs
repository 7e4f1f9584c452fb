using PacketCluster.Engine.Pki;
using Xunit;

namespace PacketCluster.Engine.Tests.Pki;

public sealed class ClusterPkiTests
{
    private static readonly Lazy<ClusterPki> Shared = new(() => ClusterPki.Generate("prod-east"));

    [Fact]
    public void Generate_makes_three_distinct_cas_named_like_kubeadm_and_a_service_account_key()
    {
        var pki = Shared.Value;

        Assert.Equal("prod-east", pki.ClusterCa.CommonName);
        Assert.Equal("etcd-ca", pki.EtcdCa.CommonName);
        Assert.Equal("front-proxy-ca", pki.FrontProxyCa.CommonName);
        Assert.Equal(3, new[] { pki.ClusterCa.PrivateKeyPem, pki.EtcdCa.PrivateKeyPem, pki.FrontProxyCa.PrivateKeyPem }.Distinct().Count());
        Assert.DoesNotContain(pki.ServiceAccount.PrivateKeyPem, new[] { pki.ClusterCa.PrivateKeyPem, pki.EtcdCa.PrivateKeyPem });
    }

    [Fact]
    public void FromExisting_rebuilds_the_same_pki()
    {
        var pki = Shared.Value;

        var rebuilt = ClusterPki.FromExisting(
            pki.ClusterCa.CertificatePem, pki.ClusterCa.PrivateKeyPem,
            pki.EtcdCa.CertificatePem, pki.EtcdCa.PrivateKeyPem,
            pki.FrontProxyCa.CertificatePem, pki.FrontProxyCa.PrivateKeyPem,
            pki.ServiceAccount.PrivateKeyPem);

        Assert.Equal(pki.ClusterCa.CertificatePem, rebuilt.ClusterCa.CertificatePem);
        Assert.Equal(pki.EtcdCa.PrivateKeyPem, rebuilt.EtcdCa.PrivateKeyPem);
        Assert.Equal(pki.FrontProxyCa.CertificatePem, rebuilt.FrontProxyCa.CertificatePem);
        Assert.Equal(pki.ServiceAccount.PublicKeyPem, rebuilt.ServiceAccount.PublicKeyPem);
    }

    [Fact]
    public void FromExisting_names_the_ca_whose_key_does_not_match()
    {
        var pki = Shared.Value;

        var error = Assert.Throws<PacketClusterException>(() => ClusterPki.FromExisting(
            pki.ClusterCa.CertificatePem, pki.ClusterCa.PrivateKeyPem,
            pki.EtcdCa.CertificatePem, pki.FrontProxyCa.PrivateKeyPem,
            pki.FrontProxyCa.CertificatePem, pki.FrontProxyCa.PrivateKeyPem,
            pki.ServiceAccount.PrivateKeyPem));

        Assert.Equal("InvalidCertificateAuthority", error.ErrorId);
        Assert.Equal("etcd CA", error.Target);
        Assert.StartsWith("The etcd CA private key does not belong", error.Message);
    }
}
