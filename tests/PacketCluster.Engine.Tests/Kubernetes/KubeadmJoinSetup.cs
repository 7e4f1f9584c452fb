using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.KubeConfigModels;
using k8s.Models;
using PacketCluster.Engine.Pki;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>
/// What <c>kubeadm init phase bootstrap-token</c> sets up for joining nodes, done through the API as admin: the
/// kube-public/cluster-info ConfigMap readable anonymously, and the RBAC that lets bootstrap-token users create
/// node-client CSRs that the controller manager approves. Idempotent (the objects are shared by every test on the
/// fixture and left in place).
/// </summary>
internal static class KubeadmJoinSetup
{
    private const string ClusterInfoRole = "kubeadm:bootstrap-signer-clusterinfo";

    public static async Task EnsureAsync(IKubernetes admin, string server, string caCertificatePem)
    {
        await EnsureClusterInfoAsync(admin, server, caCertificatePem);
        await IgnoreConflict(() => admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = ClusterInfoRole, NamespaceProperty = "kube-public" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], ResourceNames = ["cluster-info"], Verbs = ["get"] }],
        }, "kube-public"));
        await IgnoreConflict(() => admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = ClusterInfoRole, NamespaceProperty = "kube-public" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = ClusterInfoRole },
            // kubeadm names the user system:anonymous; every anonymous request is also in group system:unauthenticated.
            Subjects = [new Rbacv1Subject { ApiGroup = "rbac.authorization.k8s.io", Kind = "User", Name = "system:anonymous" }],
        }, "kube-public"));

        await BindClusterRoleAsync(admin, "kubeadm:kubelet-bootstrap", "system:node-bootstrapper", BootstrapToken.DefaultNodeTokenGroup);
        await BindClusterRoleAsync(admin, "kubeadm:node-autoapprove-bootstrap",
            "system:certificates.k8s.io:certificatesigningrequests:nodeclient", BootstrapToken.DefaultNodeTokenGroup);
        await BindClusterRoleAsync(admin, "kubeadm:node-autoapprove-certificate-rotation",
            "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", "system:nodes");
    }

    /// <summary>A fresh token in kubeadm's default node-token group, valid for an hour; delete its Secret when done.</summary>
    public static async Task<BootstrapToken> CreateTokenAsync(IKubernetes admin)
    {
        var token = BootstrapToken.Generate();
        await admin.CoreV1.CreateNamespacedSecretAsync(token.ToSecret(DateTimeOffset.UtcNow.AddHours(1), "simulated kubelet test"), BootstrapToken.SecretNamespace);
        return token;
    }

    /// <summary>kubeadm's cluster-info: a kubeconfig with only the cluster (server and CA), which bootstrapsigner signs per token.</summary>
    private static async Task EnsureClusterInfoAsync(IKubernetes admin, string server, string caCertificatePem)
    {
        var kubeconfig = KubernetesYaml.Serialize(new K8SConfiguration
        {
            ApiVersion = "v1",
            Kind = "Config",
            Clusters =
            [
                new Cluster
                {
                    Name = "",
                    ClusterEndpoint = new ClusterEndpoint { Server = server, CertificateAuthorityData = Convert.ToBase64String(Encoding.ASCII.GetBytes(caCertificatePem)) },
                },
            ],
        });
        // An earlier test against the same server and CA made the same one, already signed.
        await IgnoreConflict(() => admin.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "cluster-info", NamespaceProperty = "kube-public" },
            Data = new Dictionary<string, string> { ["kubeconfig"] = kubeconfig },
        }, "kube-public"));
    }

    private static Task BindClusterRoleAsync(IKubernetes admin, string name, string clusterRole, string group) =>
        IgnoreConflict(() => admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = name },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = clusterRole },
            Subjects = [new Rbacv1Subject { ApiGroup = "rbac.authorization.k8s.io", Kind = "Group", Name = group }],
        }));

    private static async Task IgnoreConflict<T>(Func<Task<T>> create)
    {
        try
        {
            await create();
        }
        catch (HttpOperationException error) when (error.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // Already there.
        }
    }
}
