using System.Globalization;
using System.Net;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace PacketCluster.Simulator.Boot;

/// <summary>
/// What <c>kubeadm init</c> sets up in the API after the control plane is up, done by API calls: the bootstrap tokens
/// of the InitConfiguration as Secrets, the <c>cluster-info</c> ConfigMap in kube-public with anonymous read access,
/// and the RBAC that lets bootstrap tokens create node CSRs that the controller manager then approves and signs.
/// </summary>
internal static class PostInit
{
    public const string NodeTokenGroup = "system:bootstrappers:kubeadm:default-node-token";
    private static readonly TimeSpan RetryFor = TimeSpan.FromSeconds(60);

    public static async Task RunAsync(string adminKubeconfig, KubeadmSettings settings, string caPem, string server, ControlPlaneEndpoint self,
        IConsoleLog console, KubeProcess apiserver, CancellationToken cancel)
    {
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(adminKubeconfig));

        var clusterState = KubeadmClusterState.Initial(settings, self);
        await UpsertAsync(apiserver, cancel,
            () => client.CoreV1.CreateNamespacedConfigMapAsync(clusterState, KubeadmClusterState.Namespace, cancellationToken: cancel),
            () => client.CoreV1.ReplaceNamespacedConfigMapAsync(clusterState, KubeadmClusterState.Name, KubeadmClusterState.Namespace, cancellationToken: cancel));
        console.WriteLine($"[upload-config] Stored the ClusterConfiguration and this control plane ({self.AdvertiseAddress}) in {KubeadmClusterState.Namespace}/{KubeadmClusterState.Name}");

        foreach (var token in settings.BootstrapTokens)
        {
            var secret = TokenSecret(token, DateTimeOffset.UtcNow);
            await UpsertAsync(apiserver, cancel,
                () => client.CoreV1.CreateNamespacedSecretAsync(secret, "kube-system", cancellationToken: cancel),
                () => client.CoreV1.ReplaceNamespacedSecretAsync(secret, secret.Metadata.Name, "kube-system", cancellationToken: cancel));
            var expiry = secret.StringData.TryGetValue("expiration", out var e) ? $"expires {e}" : "never expires";
            console.WriteLine($"kubeadm init: bootstrap token {token} created ({expiry}; groups {string.Join(",", token.Groups)})");
        }

        var endpoint = settings.ControlPlaneEndpoint is { Length: > 0 } cpe ? "https://" + WithPort(cpe) : server;
        var clusterInfo = new V1ConfigMap
        {
            Metadata = new V1ObjectMeta { Name = "cluster-info", NamespaceProperty = "kube-public" },
            Data = new Dictionary<string, string> { ["kubeconfig"] = ClusterInfoKubeconfig(endpoint, caPem) },
        };
        await UpsertAsync(apiserver, cancel,
            () => client.CoreV1.CreateNamespacedConfigMapAsync(clusterInfo, "kube-public", cancellationToken: cancel),
            () => client.CoreV1.ReplaceNamespacedConfigMapAsync(clusterInfo, "cluster-info", "kube-public", cancellationToken: cancel));

        var role = new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "kubeadm:bootstrap-signer-clusterinfo", NamespaceProperty = "kube-public" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], ResourceNames = ["cluster-info"], Verbs = ["get"] }],
        };
        await UpsertAsync(apiserver, cancel,
            () => client.RbacAuthorizationV1.CreateNamespacedRoleAsync(role, "kube-public", cancellationToken: cancel),
            () => client.RbacAuthorizationV1.ReplaceNamespacedRoleAsync(role, role.Metadata.Name, "kube-public", cancellationToken: cancel));
        var roleBinding = new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "kubeadm:bootstrap-signer-clusterinfo", NamespaceProperty = "kube-public" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "kubeadm:bootstrap-signer-clusterinfo" },
            Subjects = [new Rbacv1Subject { Kind = "User", Name = "system:anonymous", ApiGroup = "rbac.authorization.k8s.io" }],
        };
        await UpsertAsync(apiserver, cancel,
            () => client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(roleBinding, "kube-public", cancellationToken: cancel),
            () => client.RbacAuthorizationV1.ReplaceNamespacedRoleBindingAsync(roleBinding, roleBinding.Metadata.Name, "kube-public", cancellationToken: cancel));
        console.WriteLine($"kubeadm init: kube-public/cluster-info published (server {endpoint}), readable anonymously");

        foreach (var (name, clusterRole, group) in new[]
        {
            ("kubeadm:kubelet-bootstrap", "system:node-bootstrapper", NodeTokenGroup),
            ("kubeadm:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient", NodeTokenGroup),
            ("kubeadm:node-autoapprove-certificate-rotation", "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", "system:nodes"),
        })
        {
            var binding = new V1ClusterRoleBinding
            {
                Metadata = new V1ObjectMeta { Name = name },
                RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = clusterRole },
                Subjects = [new Rbacv1Subject { Kind = "Group", Name = group, ApiGroup = "rbac.authorization.k8s.io" }],
            };
            await UpsertAsync(apiserver, cancel,
                () => client.RbacAuthorizationV1.CreateClusterRoleBindingAsync(binding, cancellationToken: cancel),
                () => client.RbacAuthorizationV1.ReplaceClusterRoleBindingAsync(binding, name, cancellationToken: cancel));
        }
        console.WriteLine("kubeadm init: RBAC for bootstrap tokens set up (kubelet-bootstrap, node-autoapprove-bootstrap, node-autoapprove-certificate-rotation)");
    }

    /// <summary>kubeadm join --control-plane's last step: this control plane's endpoint in ClusterStatus.</summary>
    public static async Task RecordControlPlaneAsync(string adminKubeconfig, ControlPlaneEndpoint self, IConsoleLog console, KubeProcess apiserver, CancellationToken cancel)
    {
        using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(adminKubeconfig));
        await UpsertAsync(apiserver, cancel, () => KubeadmClusterState.RecordAsync(client, self, cancel), () => Task.CompletedTask);
        console.WriteLine($"[upload-config] Added this control plane ({self.AdvertiseAddress}) to the ClusterStatus in {KubeadmClusterState.Namespace}/{KubeadmClusterState.Name}");
    }

    /// <summary>The Secret kubeadm makes of a token (PRODUCT.md §5).</summary>
    internal static V1Secret TokenSecret(BootstrapTokenSpec token, DateTimeOffset now)
    {
        var data = new Dictionary<string, string>
        {
            ["token-id"] = token.Id,
            ["token-secret"] = token.Secret,
        };
        var expires = token.Expires ?? (token.Ttl is { } ttl && ttl > TimeSpan.Zero ? now + ttl : (DateTimeOffset?)null);
        if (token.Ttl is null && token.Expires is null) expires = now + TimeSpan.FromHours(24); // kubeadm's default ttl
        if (expires is { } at) data["expiration"] = at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        foreach (var usage in token.Usages) data[$"usage-bootstrap-{usage}"] = "true";
        if (token.Groups.Count > 0) data["auth-extra-groups"] = string.Join(',', token.Groups);
        if (!string.IsNullOrEmpty(token.Description)) data["description"] = token.Description;
        return new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = $"bootstrap-token-{token.Id}", NamespaceProperty = "kube-system" },
            Type = "bootstrap.kubernetes.io/token",
            StringData = data,
        };
    }

    internal static string ClusterInfoKubeconfig(string server, string caPem) => $"""
        apiVersion: v1
        kind: Config
        clusters:
        - name: ""
          cluster:
            certificate-authority-data: {Convert.ToBase64String(Encoding.UTF8.GetBytes(caPem))}
            server: {server}
        contexts: []
        current-context: ""
        preferences: {"{}"}
        users: []

        """;

    /// <summary>"host" → "host:6443"; "host:port" and "[v6]:port" stay.</summary>
    internal static string WithPort(string endpoint) =>
        endpoint.StartsWith('[') ? (endpoint.Contains("]:", StringComparison.Ordinal) ? endpoint : endpoint + ":6443")
        : endpoint.Count(c => c == ':') == 1 ? endpoint : endpoint.Contains(':') ? $"[{endpoint}]:6443" : endpoint + ":6443";

    /// <summary>Create, or replace on 409; retried while the fresh apiserver still answers 404/5xx (kube-system not there yet), bounded.</summary>
    private static async Task UpsertAsync(KubeProcess apiserver, CancellationToken cancel, Func<Task> create, Func<Task> replace)
    {
        var started = DateTimeOffset.UtcNow;
        while (true)
        {
            try
            {
                try { await create(); }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict) { await replace(); }
                return;
            }
            catch (HttpOperationException e) when ((int)e.Response.StatusCode is 404 or 429 or >= 500 && DateTimeOffset.UtcNow - started < RetryFor)
            {
                if (apiserver.HasExited) throw new BootException($"kube-apiserver (pid {apiserver.ProcessId}) exited during post-init: {apiserver.Tail()}");
            }
            catch (HttpRequestException) when (DateTimeOffset.UtcNow - started < RetryFor)
            {
                if (apiserver.HasExited) throw new BootException($"kube-apiserver (pid {apiserver.ProcessId}) exited during post-init: {apiserver.Tail()}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), cancel);
        }
    }
}
