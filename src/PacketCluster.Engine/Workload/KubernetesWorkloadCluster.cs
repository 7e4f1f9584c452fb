using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;

namespace PacketCluster.Engine.Workload;

/// <summary>
/// Lists a workload cluster's Nodes with an admin credential minted from the cluster CA in the state store, at
/// <c>status.apiEndpoints[0]</c>. One client per cluster, kept while its endpoint stays the same.
/// </summary>
public sealed class KubernetesWorkloadCluster(IStateStore store) : IWorkloadCluster, IDisposable
{
    /// <summary>An API server that accepted the connection answers a node list within seconds; don't hang a reconcile on it.</summary>
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, (string Kubeconfig, Kubernetes Client)> _clients = new(StringComparer.Ordinal);

    public Task<IReadOnlyList<WorkloadNode>> ListNodesAsync(string ns, string clusterName, CancellationToken cancellationToken) =>
        CallAsync<IReadOnlyList<WorkloadNode>>(ns, clusterName, "listing Nodes", async (c, ct) =>
        {
            var list = await c.CoreV1.ListNodeAsync(cancellationToken: ct).ConfigureAwait(false);
            return list.Items.Select(n => new WorkloadNode(
                n.Metadata.Name, n.Metadata.Uid, n.Spec?.ProviderID,
                n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true, n.Status?.NodeInfo?.KubeletVersion,
                n.Status?.Conditions?.Select(c => new NodeCondition(c.Type, c.Status,
                    c.LastTransitionTime is { } t ? new DateTimeOffset(DateTime.SpecifyKind(t, DateTimeKind.Utc)) : null)).ToList())).ToList();
        }, cancellationToken);

    public Task DeleteNodeAsync(string ns, string clusterName, string nodeName, CancellationToken cancellationToken) =>
        CallIgnoringMissingAsync(ns, clusterName, $"deleting Node {nodeName}", (c, ct) => c.CoreV1.DeleteNodeAsync(nodeName, cancellationToken: ct), cancellationToken);

    public Task RegisterBootstrapTokenAsync(string ns, string clusterName, Pki.BootstrapToken token, DateTimeOffset expiration, CancellationToken cancellationToken) =>
        CallIgnoringMissingAsync(ns, clusterName, $"creating bootstrap token {token.Id}", async (c, ct) =>
        {
            try
            {
                await c.CoreV1.CreateNamespacedSecretAsync(token.ToSecret(expiration, "PacketCluster: a machine added after the cluster came up"),
                    Pki.BootstrapToken.SecretNamespace, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
            }
        }, cancellationToken);

    public Task RevokeBootstrapTokenAsync(string ns, string clusterName, string tokenId, CancellationToken cancellationToken) =>
        CallIgnoringMissingAsync(ns, clusterName, $"deleting bootstrap token {tokenId}",
            (c, ct) => c.CoreV1.DeleteNamespacedSecretAsync(Pki.BootstrapToken.SecretNamePrefix + tokenId, Pki.BootstrapToken.SecretNamespace, cancellationToken: ct), cancellationToken);

    public Task<int> DrainNodeAsync(string ns, string clusterName, string nodeName, CancellationToken cancellationToken) =>
        CallAsync(ns, clusterName, $"draining Node {nodeName}", async (c, ct) =>
        {
            try
            {
                await c.CoreV1.PatchNodeAsync(new V1Patch("{\"spec\":{\"unschedulable\":true}}", V1Patch.PatchType.MergePatch), nodeName, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return 0;
            }
            var pods = await c.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: $"spec.nodeName={nodeName}", cancellationToken: ct).ConfigureAwait(false);
            var remaining = 0;
            foreach (var pod in pods.Items.Where(NodeDrain.MustLeave))
            {
                remaining++;
                await NodeDrain.EvictAsync(c, pod, ct).ConfigureAwait(false);
            }
            return remaining;
        }, cancellationToken);

    public Task<bool> ApproveKubeletServingAsync(string ns, string clusterName, string nodeName, IReadOnlyCollection<string> addresses, CancellationToken cancellationToken) =>
        CallAsync(ns, clusterName, $"approving the serving certificate of Node {nodeName}", async (c, ct) =>
        {
            var requests = await c.CertificatesV1.ListCertificateSigningRequestAsync(fieldSelector: $"spec.signerName={KubeletServing.Signer}", cancellationToken: ct).ConfigureAwait(false);
            var approved = false;
            foreach (var request in requests.Items.Where(r => r.Spec.Username == $"system:node:{nodeName}"))
            {
                var state = request.Status?.Conditions?.FirstOrDefault(x => x.Type is "Approved" or "Denied")?.Type;
                if (state == "Approved") { approved = true; continue; }
                if (state is not null || !KubeletServing.IsFor(request.Spec.Request, nodeName, addresses)) continue;
                request.Status ??= new V1CertificateSigningRequestStatus();
                request.Status.Conditions = [.. request.Status.Conditions ?? [], new V1CertificateSigningRequestCondition
                {
                    Type = "Approved", Status = "True", Reason = "PacketClusterApproved",
                    Message = $"the node's name and addresses are those of its Machine's device ({string.Join(", ", addresses)})",
                    LastUpdateTime = DateTime.UtcNow,
                }];
                await c.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(request, request.Metadata.Name, cancellationToken: ct).ConfigureAwait(false);
                approved = true;
            }
            return approved;
        }, cancellationToken);

    public Task<bool> BootstrapTokenExistsAsync(string ns, string clusterName, string tokenId, CancellationToken cancellationToken) =>
        CallAsync(ns, clusterName, $"reading bootstrap token {tokenId}", async (c, ct) =>
        {
            try
            {
                await c.CoreV1.ReadNamespacedSecretAsync(Pki.BootstrapToken.SecretNamePrefix + tokenId, Pki.BootstrapToken.SecretNamespace, cancellationToken: ct).ConfigureAwait(false);
                return true;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                return false;
            }
        }, cancellationToken);

    /// <summary>A call whose object may already be gone (404 is success).</summary>
    private Task CallIgnoringMissingAsync(string ns, string clusterName, string what, Func<Kubernetes, CancellationToken, Task> call, CancellationToken cancellationToken) =>
        CallAsync(ns, clusterName, what, async (c, ct) =>
        {
            try
            {
                await call(c, ct).ConfigureAwait(false);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
            }
            return true;
        }, cancellationToken);

    /// <summary>One call with the request timeout; failures become <see cref="WorkloadClusterUnavailableException"/>.</summary>
    private async Task<T> CallAsync<T>(string ns, string clusterName, string what, Func<Kubernetes, CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var client = await ClientAsync(ns, clusterName, cancellationToken).ConfigureAwait(false);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(RequestTimeout);
            return await call(client, timeout.Token).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            throw new WorkloadClusterUnavailableException(clusterName, $"{what} answered {(int)e.Response.StatusCode} {e.Response.ReasonPhrase}", e);
        }
        catch (HttpRequestException e)
        {
            throw new WorkloadClusterUnavailableException(clusterName, Describe(e), e);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new WorkloadClusterUnavailableException(clusterName, $"no answer within {RequestTimeout.TotalSeconds:0} s", e);
        }
    }

    private async Task<Kubernetes> ClientAsync(string ns, string clusterName, CancellationToken cancellationToken)
    {
        var key = ns + "/" + clusterName;
        // The admin certificate is minted per call (milliseconds); the client is rebuilt only when the endpoint or CA moved.
        var kubeconfig = await ClusterQueries.AdminKubeconfigAsync(store, ns, clusterName, cancellationToken).ConfigureAwait(false)
            ?? throw new WorkloadClusterUnavailableException(clusterName, "the Cluster is not in the state store");
        if (_clients.TryGetValue(key, out var cached) && SameTarget(cached.Kubeconfig, kubeconfig)) return cached.Client;
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(kubeconfig));
        var configuration = KubernetesClientConfiguration.BuildConfigFromConfigFile(stream);
        var client = new Kubernetes(configuration, ControlPlane.ManagementConnection.Handlers());
        _clients[key] = (kubeconfig, client);
        if (cached.Client is not null) cached.Client.Dispose();
        return client;
    }

    /// <summary>Same server and CA (the client certificate differs on every mint and does not matter).</summary>
    private static bool SameTarget(string a, string b) => Target(a) == Target(b);

    private static string Target(string kubeconfig) => string.Join('\n', kubeconfig.Split('\n')
        .Where(l => l.TrimStart().StartsWith("server:", StringComparison.Ordinal) || l.TrimStart().StartsWith("certificate-authority-data:", StringComparison.Ordinal)));

    private static string Describe(HttpRequestException e) =>
        e.InnerException is SocketException s ? $"{s.SocketErrorCode} ({e.Message})" : e.Message;

    public void Dispose()
    {
        foreach (var (_, client) in _clients.Values) client.Dispose();
        _clients.Clear();
    }
}
