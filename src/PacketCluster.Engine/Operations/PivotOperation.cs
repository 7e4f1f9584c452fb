using k8s;
using k8s.Models;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Manifests;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Operations;

/// <summary>What a pivot moves (the -WhatIf list) or moved.</summary>
public sealed record PivotReport(string ClusterName, IReadOnlyList<string> Objects, IReadOnlyList<string> Copied, IReadOnlyList<string> RemovedFromSource);

/// <summary>
/// Moves a cluster's management from one store to another (PRODUCT.md §4): provider components applied to the
/// target, the source paused, the Cluster, MachineDeployments, MachineSets, Machines (spec, status, identity
/// annotations) and their Secrets copied with owner references remapped to the target's uids, verified, the target
/// unpaused, and the objects removed from the source without a deletion being reconciled (finalizers are dropped
/// first, and the source stays paused). No device is touched: Machines keep the machine-uid annotation and
/// providerID, so the target's reconcilers adopt the same devices. Every step is idempotent; re-running after a
/// failure half-way picks up where it stopped.
/// </summary>
public static class PivotOperation
{
    private const string Activity = "PacketCluster pivot";

    /// <summary>
    /// Pivots a cluster of the embedded store (<paramref name="stateRoot"/>) to <paramref name="targetKubeconfig"/>, or —
    /// when null — into the workload cluster itself, through an admin kubeconfig minted from its CA. The provider
    /// components (with the session's API credentials) go to the target so its manager can take over. Afterwards the
    /// cluster's folder keeps only the target's kubeconfig (0600), through which every cmdlet finds it again.
    /// </summary>
    public static async Task<PivotReport> PivotEmbeddedAsync(string stateRoot, string clusterName, string? targetKubeconfig, PacketSession session,
        IEngineLog log, bool planOnly, CancellationToken ct)
    {
        var directory = StateLocation.ClusterDirectory(stateRoot, clusterName);
        var ns = ClusterOperations.DefaultNamespace;
        if (StateLocation.IsPivoted(directory) && !FileStore.HoldsCluster(directory))
        {
            log.Verbose($"Cluster '{clusterName}' was pivoted already; its objects live where {StateLocation.ManagementKubeconfig(directory)} points.");
            return new PivotReport(clusterName, [], [], []);
        }
        await using var source = (FileStore)ClusterQueries.OpenEmbedded(stateRoot, clusterName);
        if (planOnly) return await PlanAsync(source, ns, clusterName, ct).ConfigureAwait(false);

        var kubeconfig = targetKubeconfig is null
            ? await ClusterQueries.AdminKubeconfigAsync(source, ns, clusterName, ct).ConfigureAwait(false) 
                ?? throw new PacketClusterException("ClusterNotFound", ErrorKind.ObjectNotFound, $"Cluster '{clusterName}' is not in {directory}.", "Run Get-PacketCluster to list clusters and check -Name and -StatePath.", clusterName)
            : await Api.InputFile.ReadAllTextAsync(targetKubeconfig, Api.InputFile.KubeconfigLimit, "The target kubeconfig", ct).ConfigureAwait(false);
        using var target = KubernetesStore.FromKubeconfigText(kubeconfig);
        var components = ProviderComponentsFor(clusterName, session);
        return await RunAsync(source, ns, clusterName, target, components, log, ct,
            // Written before the source empties: from then on every cmdlet reads the cluster where it now lives.
            beforeSourceRemoval: moved => RecordManagementAsync(directory, kubeconfig, moved, ct)).ConfigureAwait(false);
    }

    /// <summary>The provider components a target needs to run the manager with this session's Packet credentials.</summary>
    public static string ProviderComponentsFor(string clusterName, PacketSession session) => ProviderComponents.Render(new ProviderComponentsOptions
    {
        ClusterName = clusterName, ProjectId = session.RequireProjectId(), ApiKey = session.Options.ApiKey,
        ApiUrl = session.Options.Endpoint == Metal.PacketApiOptions.DefaultEndpoint ? null : session.Options.Endpoint.ToString(),
        MachineConfigsYaml = Bootstrap.MachineConfigCatalogue.LoadShipped().ToYaml(),
    });

    /// <summary>The objects a pivot of <paramref name="clusterName"/> would move, as "Kind namespace/name".</summary>
    public static async Task<PivotReport> PlanAsync(IStateStore source, string ns, string clusterName, CancellationToken ct)
    {
        var objects = await SourceObjectsAsync(source, ns, clusterName, ct).ConfigureAwait(false);
        return new PivotReport(clusterName, objects.Describe(), [], []);
    }

    public static async Task<PivotReport> RunAsync(IStateStore source, string ns, string clusterName, KubernetesStore target, string? providerComponentsYaml,
        IEngineLog log, CancellationToken ct, Func<Cluster, Task>? beforeSourceRemoval = null)
    {
        var objects = await SourceObjectsAsync(source, ns, clusterName, ct).ConfigureAwait(false);
        if (objects.Cluster is null)
        {
            if (await target.GetAsync<Cluster>(ns, clusterName, ct).ConfigureAwait(false) is null)
                throw new PacketClusterException("ClusterNotFound", ErrorKind.ObjectNotFound,
                    $"Cluster '{clusterName}' is neither in the source nor in the target store; nothing to pivot.",
                    "Run Get-PacketCluster to list clusters and check -Name and -StatePath.", clusterName);
            log.Verbose($"Cluster '{clusterName}' is already in the target and gone from the source: the pivot is complete.");
            return new PivotReport(clusterName, [], [], []);
        }

        log.Report(new EngineProgress(Activity, "Components", "applying the CRDs and provider components to the target"));
        await ApplyComponentsAsync(target, ns, providerComponentsYaml, ct).ConfigureAwait(false);

        log.Report(new EngineProgress(Activity, "Pausing", $"pausing {clusterName} in the source"));
        objects = objects with { Cluster = await SetPausedAsync(source, objects.Cluster, true, ct).ConfigureAwait(false) };

        log.Report(new EngineProgress(Activity, "Copying", $"copying {objects.Count} objects"));
        var copied = new List<string>();
        var uids = new Dictionary<string, string>(StringComparer.Ordinal);
        // Owners before dependents, so every owner reference can be remapped; the target copy stays paused meanwhile.
        await CopyAsync(target, objects.Cluster, uids, copied, ct).ConfigureAwait(false);
        foreach (var d in objects.Deployments) await CopyAsync(target, d, uids, copied, ct).ConfigureAwait(false);
        foreach (var s in objects.Sets) await CopyAsync(target, s, uids, copied, ct).ConfigureAwait(false);
        foreach (var m in objects.Machines) await CopyAsync(target, m, uids, copied, ct).ConfigureAwait(false);
        foreach (var h in objects.HealthChecks) await CopyAsync(target, h, uids, copied, ct).ConfigureAwait(false);
        foreach (var secret in objects.Secrets)
        {
            if (await target.GetSecretAsync(ns, secret.Metadata.Name, ct).ConfigureAwait(false) is not null) continue;
            await target.CreateSecretAsync(new V1Secret
            {
                Metadata = new V1ObjectMeta
                {
                    Name = secret.Metadata.Name, NamespaceProperty = ns, Labels = secret.Metadata.Labels, Annotations = secret.Metadata.Annotations,
                    OwnerReferences = secret.Metadata.OwnerReferences?.Select(o => Remap(o, uids)).Where(o => o is not null).Select(o => o!).ToList(),
                },
                Type = secret.Type,
                Data = secret.Data,
                StringData = secret.StringData,
            }, ct).ConfigureAwait(false);
            copied.Add($"Secret {ns}/{secret.Metadata.Name}");
        }

        log.Report(new EngineProgress(Activity, "Verifying", "checking every object in the target"));
        await VerifyAsync(target, ns, objects, ct).ConfigureAwait(false);
        var targetCluster = (await target.GetAsync<Cluster>(ns, clusterName, ct).ConfigureAwait(false))!;
        await SetPausedAsync(target, targetCluster, false, ct).ConfigureAwait(false);
        if (beforeSourceRemoval is not null) await beforeSourceRemoval(objects.Cluster).ConfigureAwait(false);

        log.Report(new EngineProgress(Activity, "Removing", $"removing {clusterName} from the source (no device is touched)"));
        var removed = await RemoveFromSourceAsync(source, ns, objects, ct).ConfigureAwait(false);
        log.Verbose($"Pivoted cluster '{clusterName}': {copied.Count} objects copied, {removed.Count} removed from the source.");
        return new PivotReport(clusterName, objects.Describe(), copied, removed);
    }

    /// <summary>What a store needs to hold and manage clusters: the CRDs, the provider components, the objects' namespace.</summary>
    internal static async Task ApplyComponentsAsync(KubernetesStore target, string ns, string? providerComponentsYaml, CancellationToken ct)
    {
        var applier = new ManifestApplier(target.Client);
        await applier.ApplyAsync(CustomResourceDefinitions.Render(), "crds", ct).ConfigureAwait(false);
        if (providerComponentsYaml is not null) await applier.ApplyAsync(providerComponentsYaml, "provider-components", ct).ConfigureAwait(false);
        await KubernetesStore.EnsureNamespaceAsync(target.Client, ns, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Pivots a cluster created in a bootstrap cluster (New-PacketCluster -BootstrapKubeconfig) into the workload
    /// cluster itself; the cluster's folder then points at the workload cluster.
    /// </summary>
    public static async Task<PivotReport> PivotFromBootstrapAsync(string stateRoot, string clusterName, string bootstrapKubeconfig, PacketSession session,
        IEngineLog log, CancellationToken ct)
    {
        var directory = StateLocation.ClusterDirectory(stateRoot, clusterName);
        var ns = ClusterOperations.DefaultNamespace;
        using var source = KubernetesStore.FromKubeconfig(bootstrapKubeconfig);
        if (await source.GetAsync<Cluster>(ns, clusterName, ct).ConfigureAwait(false) is null && await BootstrapCluster.PointsElsewhereAsync(directory, bootstrapKubeconfig, ct).ConfigureAwait(false))
        {
            log.Verbose($"Cluster '{clusterName}' was pivoted out of the bootstrap cluster already.");
            return new PivotReport(clusterName, [], [], []);
        }
        var kubeconfig = await ClusterQueries.AdminKubeconfigAsync(source, ns, clusterName, ct).ConfigureAwait(false)
            ?? throw new PacketClusterException("ClusterNotFound", ErrorKind.ObjectNotFound, $"Cluster '{clusterName}' is not in the bootstrap cluster.", "Check -Name and the bootstrap kubeconfig; Get-PacketCluster lists the clusters.", clusterName);
        using var target = KubernetesStore.FromKubeconfigText(kubeconfig);
        return await RunAsync(source, ns, clusterName, target, ProviderComponentsFor(clusterName, session), log, ct,
            beforeSourceRemoval: moved => RecordManagementAsync(directory, kubeconfig, moved, ct)).ConfigureAwait(false);
    }

    /// <summary>The state folder from now on: where the objects live, and the identity that tells the cluster's devices from others'.</summary>
    private static async Task RecordManagementAsync(string directory, string kubeconfig, Cluster moved, CancellationToken ct)
    {
        if (ClusterIdentity.Of(moved).Uid is { } identity) await AtomicFile.WriteAsync(StateLocation.IdentityFile(directory), identity + "\n", ct).ConfigureAwait(false);
        await AtomicFile.WriteAsync(StateLocation.ManagementKubeconfig(directory), kubeconfig, ct).ConfigureAwait(false);
    }

    /// <summary>Removes a cluster's objects and Secrets from a store without reconciling a deletion (finalizers dropped first).</summary>
    internal static async Task<IReadOnlyList<string>> ForgetAsync(IStateStore store, string ns, string clusterName, CancellationToken ct)
    {
        var objects = await SourceObjectsAsync(store, ns, clusterName, ct).ConfigureAwait(false);
        if (objects.Cluster is not null) objects = objects with { Cluster = await SetPausedAsync(store, objects.Cluster, true, ct).ConfigureAwait(false) };
        return await RemoveFromSourceAsync(store, ns, objects, ct).ConfigureAwait(false);
    }

    private sealed record SourceSet(Cluster? Cluster, IReadOnlyList<MachineDeployment> Deployments, IReadOnlyList<MachineSet> Sets,
        IReadOnlyList<Machine> Machines, IReadOnlyList<MachineHealthCheck> HealthChecks, IReadOnlyList<V1Secret> Secrets, string Namespace)
    {
        public int Count => (Cluster is null ? 0 : 1) + Deployments.Count + Sets.Count + Machines.Count + HealthChecks.Count + Secrets.Count;

        public IReadOnlyList<string> Describe() =>
            (Cluster is null ? Array.Empty<string>() : [$"Cluster {Namespace}/{Cluster.Name}"])
            .Concat(Deployments.Select(d => $"MachineDeployment {Namespace}/{d.Name}"))
            .Concat(Sets.Select(s => $"MachineSet {Namespace}/{s.Name}"))
            .Concat(Machines.Select(m => $"Machine {Namespace}/{m.Name}"))
            .Concat(HealthChecks.Select(h => $"MachineHealthCheck {Namespace}/{h.Name}"))
            .Concat(Secrets.Select(s => $"Secret {Namespace}/{s.Metadata.Name}"))
            .ToList();
    }

    private static async Task<SourceSet> SourceObjectsAsync(IStateStore source, string ns, string clusterName, CancellationToken ct)
    {
        var selector = new Dictionary<string, string> { [ClusterValidation.ClusterNameLabel] = clusterName };
        var cluster = await source.GetAsync<Cluster>(ns, clusterName, ct).ConfigureAwait(false);
        var deployments = await source.ListAsync<MachineDeployment>(ns, selector, ct).ConfigureAwait(false);
        var sets = await source.ListAsync<MachineSet>(ns, selector, ct).ConfigureAwait(false);
        var machines = await source.ListAsync<Machine>(ns, selector, ct).ConfigureAwait(false);
        var healthChecks = await source.ListAsync<MachineHealthCheck>(ns, selector, ct).ConfigureAwait(false);
        // The cluster's Secrets: the PKI and bootstrap tokens by name, plus anything owned by one of its objects.
        var names = ClusterSecrets.PkiSecretNames(clusterName).Concat(machines.Select(m => ClusterSecrets.BootstrapToken(m.Name))).ToHashSet(StringComparer.Ordinal);
        var owners = new[] { cluster?.Metadata.Uid }.Concat(deployments.Select(d => d.Metadata.Uid)).Concat(sets.Select(s => s.Metadata.Uid))
            .Concat(machines.Select(m => m.Metadata.Uid)).Where(u => u is not null).ToHashSet(StringComparer.Ordinal);
        var secrets = (await source.ListSecretsAsync(ns, ct).ConfigureAwait(false))
            .Where(s => names.Contains(s.Metadata.Name) || s.Metadata.OwnerReferences?.Any(o => owners.Contains(o.Uid)) == true)
            .OrderBy(s => s.Metadata.Name, StringComparer.Ordinal).ToList();
        return new SourceSet(cluster, deployments, sets, machines, healthChecks, secrets, ns);
    }

    private static async Task CopyAsync<T>(KubernetesStore target, T source, Dictionary<string, string> uids, List<string> copied, CancellationToken ct)
        where T : ResourceObject, new()
    {
        var ns = source.Metadata.Namespace ?? ClusterOperations.DefaultNamespace;
        var existing = await target.GetAsync<T>(ns, source.Name, ct).ConfigureAwait(false);
        if (existing is null)
        {
            var copy = ResourceCodec.FromJson<T>(ResourceCodec.ToJson(source));
            copy.Metadata = new ObjectMeta
            {
                Name = source.Metadata.Name, Namespace = ns, Labels = source.Metadata.Labels, Annotations = source.Metadata.Annotations,
                Finalizers = source.Metadata.Finalizers,
                OwnerReferences = source.Metadata.OwnerReferences?.Select(o => Remap(o, uids)).Where(o => o is not null).Select(o => o!).ToList(),
            };
            existing = await target.CreateAsync(copy, ct).ConfigureAwait(false);
            copied.Add($"{existing.Kind} {ns}/{existing.Name}");
        }
        if (source.Metadata.Uid is { } oldUid) uids[oldUid] = existing.Metadata.Uid!;
        // Status is a subresource: written separately, and only when the target has none yet (a re-run keeps newer status).
        var status = typeof(T).GetProperty("Status");
        if (status?.GetValue(source) is { } sourceStatus && status.GetValue(existing) is null)
        {
            status.SetValue(existing, sourceStatus);
            await target.UpdateStatusAsync(existing, ct).ConfigureAwait(false);
        }
    }

    private static OwnerReference? Remap(OwnerReference owner, IReadOnlyDictionary<string, string> uids) =>
        owner.Uid is { } uid && uids.TryGetValue(uid, out var mapped)
            ? new OwnerReference { ApiVersion = owner.ApiVersion, Kind = owner.Kind, Name = owner.Name, Uid = mapped, Controller = owner.Controller, BlockOwnerDeletion = owner.BlockOwnerDeletion }
            : null;

    private static V1OwnerReference? Remap(V1OwnerReference owner, IReadOnlyDictionary<string, string> uids) =>
        uids.TryGetValue(owner.Uid, out var mapped)
            ? new V1OwnerReference { ApiVersion = owner.ApiVersion, Kind = owner.Kind, Name = owner.Name, Uid = mapped, BlockOwnerDeletion = owner.BlockOwnerDeletion, Controller = owner.Controller }
            : null;

    private static async Task VerifyAsync(KubernetesStore target, string ns, SourceSet objects, CancellationToken ct)
    {
        var missing = new List<string>();
        foreach (var machine in objects.Machines)
        {
            var copy = await target.GetAsync<Machine>(ns, machine.Name, ct).ConfigureAwait(false);
            if (copy is null || copy.Spec.ProviderID != machine.Spec.ProviderID
                || copy.Metadata.Annotations?.GetValueOrDefault(MachineScope.MachineUidAnnotation) != machine.Metadata.Annotations?.GetValueOrDefault(MachineScope.MachineUidAnnotation))
                missing.Add($"Machine {machine.Name}");
        }
        foreach (var d in objects.Deployments) if (await target.GetAsync<MachineDeployment>(ns, d.Name, ct).ConfigureAwait(false) is null) missing.Add($"MachineDeployment {d.Name}");
        foreach (var s in objects.Sets) if (await target.GetAsync<MachineSet>(ns, s.Name, ct).ConfigureAwait(false) is null) missing.Add($"MachineSet {s.Name}");
        foreach (var h in objects.HealthChecks) if (await target.GetAsync<MachineHealthCheck>(ns, h.Name, ct).ConfigureAwait(false) is null) missing.Add($"MachineHealthCheck {h.Name}");
        foreach (var s in objects.Secrets) if (await target.GetSecretAsync(ns, s.Metadata.Name, ct).ConfigureAwait(false) is null) missing.Add($"Secret {s.Metadata.Name}");
        if (missing.Count > 0)
            throw new PacketClusterException("PivotVerificationFailed", ErrorKind.InvalidOperation,
                $"After copying, the target lacks or differs on: {string.Join(", ", missing)}. The source is untouched (paused); run the pivot again.",
                "Run Invoke-PacketPivot again; the source is untouched.", objects.Cluster?.Name);
    }

    private static async Task<IReadOnlyList<string>> RemoveFromSourceAsync(IStateStore source, string ns, SourceSet objects, CancellationToken ct)
    {
        var removed = new List<string>();
        // Finalizers first, so deleting removes at once instead of asking a reconciler to delete devices.
        async Task DropAsync<T>(T item) where T : ResourceObject, new()
        {
            var current = await source.GetAsync<T>(ns, item.Name, ct).ConfigureAwait(false);
            if (current is null) return;
            if (current.Metadata.Finalizers is { Count: > 0 })
            {
                current.Metadata.Finalizers = [];
                current = await source.UpdateAsync(current, ct).ConfigureAwait(false);
            }
            if (current.Metadata.DeletionTimestamp is null) await source.DeleteAsync<T>(ns, item.Name, ct).ConfigureAwait(false);
            removed.Add($"{current.Kind} {ns}/{item.Name}");
        }
        // Health checks first: none may remediate in the source while its machines are being dropped.
        foreach (var h in objects.HealthChecks) await DropAsync(h).ConfigureAwait(false);
        foreach (var m in objects.Machines) await DropAsync(m).ConfigureAwait(false);
        foreach (var s in objects.Sets) await DropAsync(s).ConfigureAwait(false);
        foreach (var d in objects.Deployments) await DropAsync(d).ConfigureAwait(false);
        foreach (var s in objects.Secrets)
        {
            await source.DeleteSecretAsync(ns, s.Metadata.Name, ct).ConfigureAwait(false);
            removed.Add($"Secret {ns}/{s.Metadata.Name}");
        }
        if (objects.Cluster is not null) await DropAsync(objects.Cluster).ConfigureAwait(false);
        return removed;
    }

    private static async Task<Cluster> SetPausedAsync(IStateStore store, Cluster cluster, bool paused, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (ClusterReconcileLoop.IsPaused(cluster) == paused) return cluster;
            cluster.Metadata.Annotations ??= new Dictionary<string, string>();
            if (paused) cluster.Metadata.Annotations[ClusterReconcileLoop.PausedAnnotation] = "true";
            else cluster.Metadata.Annotations.Remove(ClusterReconcileLoop.PausedAnnotation);
            try
            {
                return await store.UpdateAsync(cluster, ct).ConfigureAwait(false);
            }
            catch (StoreConflictException) when (attempt < 5)
            {
                // A reconciler wrote status meanwhile: take the current object and set the annotation on it.
                cluster = await store.GetAsync<Cluster>(cluster.Metadata.Namespace ?? ClusterOperations.DefaultNamespace, cluster.Name, ct).ConfigureAwait(false)
                    ?? throw new PacketClusterException("ClusterNotFound", ErrorKind.ObjectNotFound, $"Cluster '{cluster.Name}' vanished during the pivot.", "Run Get-PacketCluster to see where the cluster is now; it may have been removed by another command.", cluster.Name);
            }
        }
    }
}
