using System.Text;
using k8s;
using k8s.KubeConfigModels;

namespace PacketCluster.Engine.Pki;

/// <summary>
/// Kubeconfig files with embedded client certificates, laid out like kubeadm's admin.conf: cluster &lt;name&gt;,
/// user &lt;user&gt;, context &lt;user&gt;@&lt;name&gt;.
/// </summary>
public static class AdminKubeconfig
{
    public const string AdminUserName = "kubernetes-admin";

    /// <summary>The group RBAC's cluster-admin binding names; membership comes from the certificate's O=.</summary>
    public const string AdminGroup = "system:masters";

    /// <summary>Mints a fresh admin client certificate (ECDSA, a few milliseconds) and wraps it in a kubeconfig.</summary>
    public static string Create(string clusterName, string server, CertificateAuthority ca, TimeSpan? validity = null)
    {
        ArgumentNullException.ThrowIfNull(ca);
        var admin = ca.IssueClientCertificate(AdminUserName, [AdminGroup], validity);
        return Create(clusterName, server, ca.CertificatePem, AdminUserName, admin);
    }

    /// <summary>A kubeconfig for any user holding an already issued client certificate (e.g. system:kube-controller-manager).</summary>
    public static string Create(string clusterName, string server, string caCertificatePem, string userName, IssuedCertificate clientCertificate)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(clusterName);
        ArgumentException.ThrowIfNullOrWhiteSpace(caCertificatePem);
        ArgumentException.ThrowIfNullOrWhiteSpace(userName);
        ArgumentNullException.ThrowIfNull(clientCertificate);
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttps)
            throw new ArgumentException("The server must be an absolute https:// URL, e.g. https://203.0.113.10:6443.", nameof(server));

        var contextName = $"{userName}@{clusterName}";
        var configuration = new K8SConfiguration
        {
            ApiVersion = "v1",
            Kind = "Config",
            CurrentContext = contextName,
            Clusters =
            [
                new Cluster
                {
                    Name = clusterName,
                    ClusterEndpoint = new ClusterEndpoint { Server = server, CertificateAuthorityData = Base64(caCertificatePem) },
                },
            ],
            Users =
            [
                new User
                {
                    Name = userName,
                    UserCredentials = new UserCredentials
                    {
                        ClientCertificateData = Base64(clientCertificate.CertificatePem),
                        ClientKeyData = Base64(clientCertificate.PrivateKeyPem),
                    },
                },
            ],
            Contexts =
            [
                new Context { Name = contextName, ContextDetails = new ContextDetails { Cluster = clusterName, User = userName } },
            ],
        };
        return KubernetesYaml.Serialize(configuration);
    }

    private static string Base64(string pem) => Convert.ToBase64String(Encoding.ASCII.GetBytes(pem));
}
