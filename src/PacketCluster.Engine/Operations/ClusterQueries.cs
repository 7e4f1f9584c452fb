using PacketCluster.Engine.Api;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Pki;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Operations;

/// <summary>Reads of the embedded store for Get-PacketCluster, Get-PacketMachine and Get-PacketKubeconfig.</summary>
public static class ClusterQueries
{
    public static IReadOnlyList<string> ClusterNames(string stateRoot) => StateLocation.ListClusterNames(stateRoot);

    public static Task<Cluster> GetClusterAsync(string stateRoot, string name, CancellationToken ct) =>
        ReadAsync(stateRoot, name, async store => await store.GetAsync<Cluster>(ClusterOperations.DefaultNamespace, name, ct).ConfigureAwait(false)
            ?? throw NotFound(stateRoot, name));

    public static Task<IReadOnlyList<Machine>> GetMachinesAsync(string stateRoot, string clusterName, CancellationToken ct) =>
        ReadAsync(stateRoot, clusterName, store => store.ListAsync<Machine>(ClusterOperations.DefaultNamespace,
            new Dictionary<string, string> { [ClusterValidation.ClusterNameLabel] = clusterName }, ct));

    /// <summary>The cluster's MachineDeployments (node pools), by name.</summary>
    public static Task<IReadOnlyList<MachineDeployment>> GetDeploymentsAsync(string stateRoot, string clusterName, CancellationToken ct) =>
        ReadAsync(stateRoot, clusterName, store => MachineDeploymentOperations.ListAsync(store, clusterName, ct));

    /// <summary>
    /// The cluster a machine belongs to, from its name alone (Remove-PacketMachine prod-control-plane-2): machines are
    /// named after their cluster, so only the clusters whose name is a prefix of it are read.
    /// </summary>
    public static async Task<string> ClusterOfMachineAsync(string stateRoot, string machineName, CancellationToken ct)
    {
        var found = new List<string>();
        foreach (var cluster in ClusterNames(stateRoot).Where(c => machineName.StartsWith(c + "-", StringComparison.Ordinal)))
        {
            if ((await GetMachinesAsync(stateRoot, cluster, ct).ConfigureAwait(false)).Any(m => m.Name == machineName)) found.Add(cluster);
        }
        return found.Count switch
        {
            1 => found[0],
            0 => throw new PacketClusterException("MachineNotFound", ErrorKind.ObjectNotFound,
                $"No cluster in {stateRoot} has a machine '{machineName}'. Get-PacketMachine -ClusterName <name> lists a cluster's machines; give -ClusterName if the machine is not named after its cluster.",
                "Check the machine name with Get-PacketMachine -ClusterName, and give -ClusterName.", machineName),
            _ => throw new PacketClusterException("MachineAmbiguous", ErrorKind.InvalidArgument,
                $"Clusters {string.Join(", ", found)} each have a machine '{machineName}'; name one with -ClusterName.",
                "Give -ClusterName to say which cluster's machine you mean.", machineName),
        };
    }

    /// <summary>
    /// Who manages a cluster: the cmdlets and Start-PacketClusterManager through its state folder, or whoever holds the
    /// manager Lease where its objects live (its own manager pod after a pivot, a bootstrap cluster's, or a manager
    /// outside). Null <see cref="ClusterManagement.Holder"/> in a Kubernetes store means nobody does.
    /// </summary>
    public static async Task<ClusterManagement> ManagementAsync(string stateRoot, string name, CancellationToken ct)
    {
        await using var store = OpenExisting(stateRoot, name);
        return await ManagementAsync(store, name, null, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The cluster and who manages it, from one opening of its store (Get-PacketCluster: one connection to a pivoted
    /// cluster's API server per cluster, not two).
    /// </summary>
    public static Task<(Cluster Cluster, ClusterManagement Management)> GetClusterWithManagementAsync(string stateRoot, string name, CancellationToken ct) =>
        ReadAsync(stateRoot, name, async store =>
        {
            var cluster = await store.GetAsync<Cluster>(ClusterOperations.DefaultNamespace, name, ct).ConfigureAwait(false) ?? throw NotFound(stateRoot, name);
            return (cluster, await ManagementAsync(store, name, cluster, ct).ConfigureAwait(false));
        });

    private static async Task<ClusterManagement> ManagementAsync(IStateStore store, string name, Cluster? known, CancellationToken ct)
    {
        if (store is not KubernetesStore kubernetes) return new ClusterManagement("state folder", null, Managed: true);
        try
        {
            var holder = await SelfManagement.HolderAsync(kubernetes.Client, ct).ConfigureAwait(false);
            if (holder is null) return new ClusterManagement("nobody", null, Managed: false);
            // Kept in another (bootstrap) cluster rather than pivoted into itself: its endpoint is not where the objects are.
            var cluster = known ?? await kubernetes.GetAsync<Cluster>(ClusterOperations.DefaultNamespace, name, ct).ConfigureAwait(false);
            var own = cluster?.Status?.ApiEndpoints?.FirstOrDefault()?.Host;
            var where = kubernetes.Client.BaseUri.Host;
            var elsewhere = own is not null && !string.Equals(own.Trim('[', ']'), where.Trim('[', ']'), StringComparison.OrdinalIgnoreCase);
            return new ClusterManagement(elsewhere ? $"{holder}, in the bootstrap cluster at {kubernetes.Client.BaseUri.GetLeftPart(UriPartial.Authority)}" : holder.ToString(),
                holder, Managed: true);
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException)
        {
            return new ClusterManagement($"unknown (the management cluster did not answer: {e.Message})", null, Managed: false);
        }
    }

    /// <summary>An admin kubeconfig minted from the cluster CA for status.apiEndpoints[0].</summary>
    public static Task<string> AdminKubeconfigAsync(string stateRoot, string clusterName, CancellationToken ct) =>
        ReadAsync(stateRoot, clusterName, async store => await AdminKubeconfigAsync(store, ClusterOperations.DefaultNamespace, clusterName, ct).ConfigureAwait(false)
            ?? throw NotFound(stateRoot, clusterName));

    /// <summary>
    /// A read of the cluster's store. Once pivoted, that is a management cluster that may be gone (deleted outside
    /// PacketCluster, or unreachable from here): said in those words, with what to do, not as a raw socket error.
    /// </summary>
    internal static async Task<T> ReadAsync<T>(string stateRoot, string name, Func<IStateStore, Task<T>> read)
    {
        await using var store = OpenExisting(stateRoot, name);
        try
        {
            return await read(store).ConfigureAwait(false);
        }
        catch (Exception e) when (store is KubernetesStore && e is HttpRequestException or k8s.Autorest.HttpOperationException)
        {
            var marker = StateLocation.ManagementKubeconfig(StateLocation.ClusterDirectory(stateRoot, name));
            throw new PacketClusterException("ManagementClusterUnreachable", ErrorKind.ConnectionError,
                $"Cluster '{name}' is managed in the cluster that {marker} points at, which did not answer or refused us ({e.Message}). " +
                $"Check that it runs and is reachable from here; if it was deleted outside PacketCluster, remove the folder {Path.GetDirectoryName(marker)}.",
                "Check that the management cluster runs and is reachable; if it was deleted outside PacketCluster, remove the cluster's state folder.", name, e);
        }
    }

    /// <summary>The same from an open store; null when the Cluster is not in it.</summary>
    internal static async Task<string?> AdminKubeconfigAsync(IStateStore store, string ns, string clusterName, CancellationToken ct)
    {
        var cluster = await store.GetAsync<Cluster>(ns, clusterName, ct).ConfigureAwait(false);
        if (cluster is null) return null;
        var endpoint = cluster.Status?.ApiEndpoints?.FirstOrDefault()
            ?? throw new PacketClusterException("ClusterEndpointNotReady", ErrorKind.InvalidOperation,
                $"Cluster '{clusterName}' has no API endpoint yet. Wait for New-PacketCluster to finish (or run it again to resume).",
                "Wait for New-PacketCluster to finish, or run it again to resume.", clusterName);
        var ca = await ClusterSecrets.ReadClusterCaAsync(store, ns, clusterName, ct).ConfigureAwait(false)
            ?? throw new PacketClusterException("ClusterPkiMissing", ErrorKind.ObjectNotFound,
                $"Cluster '{clusterName}' has no certificate authority in its state yet. Run New-PacketCluster again to resume.",
                "Run New-PacketCluster again to resume creating the cluster.", clusterName);
        var host = endpoint.Host!.Contains(':') ? $"[{endpoint.Host}]" : endpoint.Host;
        return AdminKubeconfig.Create(clusterName, $"https://{host}:{endpoint.Port}", ca);
    }

    /// <summary>The cluster's own folder, pivoted or not (the pivot reads what is left there).</summary>
    internal static IOwnedStateStore OpenEmbedded(string stateRoot, string name)
    {
        var directory = StateLocation.ClusterDirectory(stateRoot, name);
        if (!FileStore.Exists(directory)) throw NotFound(stateRoot, name);
        return FileStore.Open(directory);
    }

    /// <summary>The cluster's store: its folder, or — once pivoted — the cluster its management kubeconfig points at.</summary>
    internal static IOwnedStateStore OpenExisting(string stateRoot, string name)
    {
        var directory = StateLocation.ClusterDirectory(stateRoot, name);
        if (StateLocation.IsPivoted(directory)) return KubernetesStore.FromKubeconfig(StateLocation.ManagementKubeconfig(directory));
        if (!FileStore.Exists(directory)) throw NotFound(stateRoot, name);
        return FileStore.Open(directory);
    }

    private static PacketClusterException NotFound(string stateRoot, string name) =>
        new("ClusterNotFound", ErrorKind.ObjectNotFound,
            $"No cluster '{name}' in {stateRoot}. Get-PacketCluster lists the clusters there; -StatePath or PACKETCLUSTER_HOME choose another folder.",
            "Run Get-PacketCluster to list the clusters, check the name, or pass -StatePath for another state folder.", name);
}

/// <summary>Who manages a cluster (Get-PacketCluster's ManagedBy).</summary>
public sealed record ClusterManagement(string Description, ManagerHolder? Holder, bool Managed);
