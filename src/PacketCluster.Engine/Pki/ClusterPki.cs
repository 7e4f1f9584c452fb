namespace PacketCluster.Engine.Pki;

/// <summary>
/// The long-lived secrets of one cluster, matching kubeadm's pki/ directory: the cluster CA (ca.crt/key), the etcd CA,
/// the front-proxy CA and the service-account key pair. Leaf certificates are derived from these on the machines.
/// </summary>
public sealed class ClusterPki
{
    public const string EtcdCaCommonName = "etcd-ca";
    public const string FrontProxyCaCommonName = "front-proxy-ca";

    public ClusterPki(CertificateAuthority clusterCa, CertificateAuthority etcdCa, CertificateAuthority frontProxyCa, ServiceAccountKeyPair serviceAccount)
    {
        ClusterCa = clusterCa ?? throw new ArgumentNullException(nameof(clusterCa));
        EtcdCa = etcdCa ?? throw new ArgumentNullException(nameof(etcdCa));
        FrontProxyCa = frontProxyCa ?? throw new ArgumentNullException(nameof(frontProxyCa));
        ServiceAccount = serviceAccount ?? throw new ArgumentNullException(nameof(serviceAccount));
    }

    /// <summary>Subject CN=&lt;cluster name&gt; (PRODUCT.md §5), so a kubeconfig's CA says which cluster it belongs to.</summary>
    public CertificateAuthority ClusterCa { get; }

    public CertificateAuthority EtcdCa { get; }
    public CertificateAuthority FrontProxyCa { get; }
    public ServiceAccountKeyPair ServiceAccount { get; }

    public static ClusterPki Generate(string clusterName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterName);

        // Four RSA keys are the slow part (~0.1-0.5 s each); they are independent, so make them side by side.
        var clusterCa = Task.Run(() => CertificateAuthority.Generate(clusterName));
        var etcdCa = Task.Run(() => CertificateAuthority.Generate(EtcdCaCommonName));
        var frontProxyCa = Task.Run(() => CertificateAuthority.Generate(FrontProxyCaCommonName));
        var serviceAccount = Task.Run(ServiceAccountKeyPair.Generate);
        Task.WaitAll(clusterCa, etcdCa, frontProxyCa, serviceAccount);

        return new ClusterPki(clusterCa.Result, etcdCa.Result, frontProxyCa.Result, serviceAccount.Result);
    }

    /// <summary>Rebuilds a cluster's PKI from stored PEMs; each CA is checked as <see cref="CertificateAuthority.Import(string, string)"/> does.</summary>
    public static ClusterPki FromExisting(
        string clusterCaCertificatePem, string clusterCaPrivateKeyPem,
        string etcdCaCertificatePem, string etcdCaPrivateKeyPem,
        string frontProxyCaCertificatePem, string frontProxyCaPrivateKeyPem,
        string serviceAccountPrivateKeyPem) =>
        new(
            CertificateAuthority.Import(clusterCaCertificatePem, clusterCaPrivateKeyPem, "cluster CA"),
            CertificateAuthority.Import(etcdCaCertificatePem, etcdCaPrivateKeyPem, "etcd CA"),
            CertificateAuthority.Import(frontProxyCaCertificatePem, frontProxyCaPrivateKeyPem, "front-proxy CA"),
            ServiceAccountKeyPair.FromPrivateKey(serviceAccountPrivateKeyPem));

    public override string ToString() => $"ClusterPki CN={ClusterCa.CommonName}";
}
