using k8s;
using k8s.Exceptions;
using PacketCluster.Engine.Manifests;
using PacketCluster.Engine.Store;

namespace PacketCluster.Engine.Operations;

/// <summary>
/// An existing cluster used as the management store of a create (New-PacketCluster -BootstrapKubeconfig), as the seed's
/// clusterctl used a bootstrap cluster: the CRDs and provider components are applied there, the objects are recorded
/// there, and the cluster's state folder keeps only a copy of that kubeconfig (0600) so every cmdlet finds it.
/// </summary>
public static class BootstrapCluster
{
    private const string Activity = "PacketCluster";

    /// <summary>The Lease the manager Deployment of the provider components elects its leader on.</summary>
    public static ManagerOptions LeaseOptions { get; } = new();

    /// <summary>
    /// Checks the kubeconfig and that its cluster answers, before anything is written anywhere. Failures say what to fix.
    /// </summary>
    public static async Task<KubernetesStore> ConnectAsync(string kubeconfigPath, CancellationToken ct)
    {
        if (!File.Exists(kubeconfigPath))
            throw new PacketClusterException("BootstrapKubeconfigNotFound", ErrorKind.ObjectNotFound,
                $"The bootstrap kubeconfig '{kubeconfigPath}' does not exist. Give the kubeconfig of a running cluster (kind, minikube, or any management cluster).",
                "Check the -BootstrapKubeconfig path; it must be the kubeconfig of a running cluster.", kubeconfigPath);
        KubernetesStore store;
        try
        {
            store = KubernetesStore.FromKubeconfig(kubeconfigPath);
        }
        catch (KubeConfigException e)
        {
            throw new PacketClusterException("BootstrapKubeconfigInvalid", ErrorKind.InvalidData,
                $"The bootstrap kubeconfig '{kubeconfigPath}' cannot be used: {e.Message}",
                "Check that the file is a valid kubeconfig (kubectl --kubeconfig <file> get ns).", kubeconfigPath, e);
        }
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(15));
            await store.Client.CoreV1.ListNamespaceAsync(limit: 1, cancellationToken: timeout.Token).ConfigureAwait(false);
            return store;
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            store.Dispose();
            var why = e is k8s.Autorest.HttpOperationException h ? $"it answered {(int)h.Response.StatusCode} {h.Response.ReasonPhrase}"
                : e is OperationCanceledException ? "no answer within 15 s" : e.Message;
            throw new PacketClusterException("BootstrapClusterUnreachable", ErrorKind.ConnectionError,
                $"The bootstrap cluster of '{kubeconfigPath}' cannot be used: {why}. Check that it runs and that the kubeconfig's credentials may list namespaces.",
                "Check that the bootstrap cluster runs and that its kubeconfig's user may list namespaces (kubectl --kubeconfig <file> get ns).", kubeconfigPath, e);
        }
    }

    /// <summary>
    /// The CRDs and provider components (manager Deployment, machine configs, credentials Secret) applied with
    /// server-side apply (idempotent), and the objects' namespace made.
    /// </summary>
    public static async Task PrepareAsync(KubernetesStore store, string ns, string providerComponentsYaml, IEngineLog log, CancellationToken ct)
    {
        log.Report(new EngineProgress(Activity, "Bootstrap", "applying the CRDs and provider components to the bootstrap cluster"));
        await PivotOperation.ApplyComponentsAsync(store, ns, providerComponentsYaml, ct).ConfigureAwait(false);
    }

    /// <summary>Whether the cluster's folder already points at another cluster than this one (it was pivoted away).</summary>
    public static async Task<bool> PointsElsewhereAsync(string clusterDirectory, string kubeconfigPath, CancellationToken ct) =>
        StateLocation.IsPivoted(clusterDirectory)
        && await File.ReadAllTextAsync(StateLocation.ManagementKubeconfig(clusterDirectory), ct).ConfigureAwait(false)
            != await Api.InputFile.ReadAllTextAsync(kubeconfigPath, Api.InputFile.KubeconfigLimit, "The kubeconfig", ct).ConfigureAwait(false);

    /// <summary>Records where the cluster's objects live, before the first of them is written there.</summary>
    public static async Task RecordAsync(string clusterDirectory, string kubeconfigPath, CancellationToken ct)
    {
        if (!Directory.Exists(clusterDirectory)) AtomicFile.CreatePrivateDirectory(clusterDirectory);
        await AtomicFile.WriteAsync(StateLocation.ManagementKubeconfig(clusterDirectory),
            await Api.InputFile.ReadAllTextAsync(kubeconfigPath, Api.InputFile.KubeconfigLimit, "The kubeconfig", ct).ConfigureAwait(false), ct).ConfigureAwait(false);
    }

    /// <summary>A name for the Lease holder that says who holds it.</summary>
    public static string CommandIdentity(string clusterName) => $"new-packetcluster-{clusterName}-{Environment.MachineName}-{Environment.ProcessId}";
}
