using PacketCluster.Engine.Api;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Operations;

/// <summary>
/// How long a change (create, scale, delete) may take, how it is watched, and how many machines are reconciled at once.
/// </summary>
public sealed record ChangeWait(bool Wait, TimeSpan Timeout, TimeSpan PollInterval, int Concurrency = ClusterReconcileLoop.DefaultConcurrency)
{
    /// <summary>Defaults for a user who gave no options: wait up to 30 minutes, look every 5 s.</summary>
    public static ChangeWait Default { get; } = new(true, TimeSpan.FromMinutes(30), TimeSpan.FromSeconds(5));
}

/// <summary>
/// Day 2 on the embedded store: scale or upgrade a MachineDeployment (the reconcilers roll machines one at a time),
/// add workers or control planes, remove a machine. Each change is written to the store, then the cluster is reconciled until it settles.
/// </summary>
public static class MachineOperations
{
    private const string Activity = "PacketCluster";

    public static async Task<MachineDeployment> SetDeploymentAsync(string stateRoot, string clusterName, string? deploymentName, int? replicas,
        string? kubernetesVersion, PacketSession session, IEngineLog log, ChangeWait wait, CancellationToken ct)
    {
        await using var store = Open(stateRoot, clusterName);
        var ns = ClusterOperations.DefaultNamespace;
        var deployment = await FindDeploymentAsync(store, clusterName, deploymentName, ct).ConfigureAwait(false);
        if (replicas is { } r) deployment.Spec.Replicas = r;
        if (kubernetesVersion is { } version)
        {
            var template = deployment.Spec.Template!.Spec!;
            template.Versions ??= new MachineVersionInfo();
            template.Versions.Kubelet = version;
            // The exact-match rule must hold before anything rolls: a version without userdata would stall the rollout.
            var controlPlane = (await MachinesAsync(store, clusterName, ct).ConfigureAwait(false)).FirstOrDefault(m => m.IsControlPlane)?.Spec.Versions?.ControlPlane;
            CheckSkew(version, controlPlane, deployment.Name);
            var catalogue = MachineConfigCatalogue.LoadShipped();
            if (MachineConfigCheck.For(catalogue)("MachineDeployment", $"MachineDeployment/{deployment.Name}", template, "spec.template.spec") is { } problem)
                throw new ClusterConfigInvalidException(new[] { problem });
        }
        deployment = await store.UpdateAsync(deployment, ct).ConfigureAwait(false);
        await SettleAsync(store, session, clusterName, log, wait, s => DeploymentSettled(s, deployment), ct).ConfigureAwait(false);
        return (await store.GetAsync<MachineDeployment>(ns, deployment.Name, ct).ConfigureAwait(false))!;
    }

    /// <summary>Adds workers: more replicas on the cluster's (or the named) MachineDeployment. Returns the new machines.</summary>
    public static async Task<IReadOnlyList<Machine>> AddWorkersAsync(string stateRoot, string clusterName, string? deploymentName, int count,
        PacketSession session, IEngineLog log, ChangeWait wait, CancellationToken ct)
    {
        HashSet<string> before;
        int target;
        await using (var store = Open(stateRoot, clusterName))
        {
            var deployment = await FindDeploymentAsync(store, clusterName, deploymentName, ct).ConfigureAwait(false);
            before = (await MachinesAsync(store, clusterName, ct).ConfigureAwait(false)).Select(m => m.Name).ToHashSet();
            target = (deployment.Spec.Replicas ?? 1) + count;
            deploymentName = deployment.Name;
            log.Verbose($"MachineDeployment {deployment.Name}: {deployment.Spec.Replicas ?? 1} → {target} replicas.");
        }
        await SetDeploymentAsync(stateRoot, clusterName, deploymentName, target, null, session, log, wait, ct).ConfigureAwait(false);
        await using var reopened = Open(stateRoot, clusterName);
        return (await MachinesAsync(reopened, clusterName, ct).ConfigureAwait(false)).Where(m => !before.Contains(m.Name)).ToList();
    }

    /// <summary>
    /// Adds control planes that join the running cluster: standalone Machines named like the first one
    /// (<c>&lt;cluster&gt;-control-plane-N</c>, N after the highest in use) with its labels, providerSpec and versions. The
    /// reconciler renders them a kubeadm control-plane join and leaves the elastic IP on the first. Everything that can
    /// refuse (no control plane, no machine config, a shell machine config) is checked before the first write.
    /// Returns the new machines.
    /// </summary>
    public static Task<IReadOnlyList<Machine>> AddControlPlanesAsync(string stateRoot, string clusterName, int count,
        PacketSession session, IEngineLog log, ChangeWait wait, CancellationToken ct) =>
        AddControlPlanesAsync(stateRoot, clusterName, count, template: null, session, log, wait, requireHealthyEtcd: false, ct, warnOnEvenCount: true);

    /// <summary>
    /// As above, with the new machines' spec taken from <paramref name="template"/> instead of the first control plane
    /// (a rollout), and optionally waiting until each new member of etcd is healthy, not only until the device runs.
    /// </summary>
    internal static async Task<IReadOnlyList<Machine>> AddControlPlanesAsync(string stateRoot, string clusterName, int count, MachineSpec? template,
        PacketSession session, IEngineLog log, ChangeWait wait, bool requireHealthyEtcd, CancellationToken ct, bool warnOnEvenCount = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        await using var store = Open(stateRoot, clusterName);
        var ns = ClusterOperations.DefaultNamespace;
        var machines = await MachinesAsync(store, clusterName, ct).ConfigureAwait(false);
        var first = FirstControlPlane.Of(machines)
            ?? throw new PacketClusterException("NoControlPlane", ErrorKind.InvalidOperation,
                $"Cluster '{clusterName}' has no control plane to join; a new control plane needs a running one.",
                "Run New-PacketCluster again to finish creating the cluster first.", clusterName);
        var spec = template ?? first.Spec;
        var image = spec.ProviderSpec?.Value?.OS ?? string.Empty;
        var version = spec.Versions?.ControlPlane ?? string.Empty;
        // The same catalogue the reconcile below renders with (SettleAsync's context uses the shipped one).
        var config = MachineConfigCatalogue.LoadShipped().Find(image, spec.Versions?.Kubelet ?? version, version);
        UserdataRenderer.CheckRenderable(config, MachineRole.JoiningControlPlane);

        var total = machines.Count(m => m.IsControlPlane && m.Metadata.DeletionTimestamp is null) + count;
        if (warnOnEvenCount && total % 2 == 0)
            log.Warning($"Cluster '{clusterName}' will have {total} control planes. etcd needs a majority of its members, so an even count " +
                $"tolerates no more failures than {total - 1} would; prefer an odd number of control planes.");

        var names = NextControlPlaneNames(clusterName, machines, count);
        foreach (var name in names)
        {
            var machine = new Machine
            {
                Metadata = new ObjectMeta
                {
                    Name = name,
                    Namespace = ns,
                    // The cluster-name and control-plane role labels; not its annotations (they hold the first's device uid).
                    Labels = first.Metadata.Labels is { } labels ? new Dictionary<string, string>(labels) : null,
                },
                // A deep copy, without the first's device: same plan, OS, location, keys and versions.
                Spec = ResourceCodec.FromJson<MachineSpec>(ResourceCodec.ToJson(spec)),
            };
            machine.Spec.ProviderID = null;
            await store.CreateAsync(machine, ct).ConfigureAwait(false);
            log.Verbose($"Machine {name}: a control plane that joins {first.Name}.");
        }
        await SettleAsync(store, session, clusterName, log, wait,
            s => names.All(n => s.Machines.Any(m => m.Name == n && (requireHealthyEtcd
                ? m.Status?.Phase == Phases.Running && Conditions.IsTrue(m.Status.Conditions, Conditions.EtcdMemberHealthy) && Conditions.IsTrue(m.Status.Conditions, Conditions.NodeReady)
                : m.Status?.Phase is Phases.Provisioned or Phases.Running))), ct).ConfigureAwait(false);
        var added = new List<Machine>();
        foreach (var name in names)
            added.Add((await store.GetAsync<Machine>(ns, name, ct).ConfigureAwait(false))!);
        return added;
    }

    /// <summary>
    /// Removes a machine. A machine of a MachineDeployment/MachineSet is marked for deletion and its owner scaled down by
    /// one, so it is not replaced; a standalone Machine is deleted. The last control plane is refused.
    /// </summary>
    public static async Task RemoveMachineAsync(string stateRoot, string clusterName, string machineName, PacketSession session, IEngineLog log, ChangeWait wait, CancellationToken ct)
    {
        await using var store = Open(stateRoot, clusterName);
        var ns = ClusterOperations.DefaultNamespace;
        var machine = await store.GetAsync<Machine>(ns, machineName, ct).ConfigureAwait(false)
            ?? throw new PacketClusterException("MachineNotFound", ErrorKind.ObjectNotFound,
                $"Cluster '{clusterName}' has no machine '{machineName}'. Get-PacketMachine -ClusterName {clusterName} lists them.",
                "Run Get-PacketMachine -ClusterName to list the cluster's machines and use one of their names.", machineName);
        if (machine.IsControlPlane && (await MachinesAsync(store, clusterName, ct).ConfigureAwait(false)).Count(m => m.IsControlPlane && m.Metadata.DeletionTimestamp is null) <= 1)
            throw new PacketClusterException("LastControlPlane", ErrorKind.InvalidOperation,
                $"'{machineName}' is the cluster's only control plane. Remove the whole cluster with Remove-PacketCluster instead.",
                "Remove the whole cluster with Remove-PacketCluster, or add a control plane first.", machineName);
        if (machine.IsControlPlane) await RefuseQuorumLossAsync(store, clusterName, machine, ct).ConfigureAwait(false);

        var owner = machine.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true && o.Kind == "MachineSet");
        if (owner is null)
        {
            await store.DeleteAsync<Machine>(ns, machineName, ct).ConfigureAwait(false);
        }
        else
        {
            machine.Metadata.Annotations ??= new();
            machine.Metadata.Annotations[MachineDeletionOrder.DeleteMachineAnnotation] = "true";
            await store.UpdateAsync(machine, ct).ConfigureAwait(false);
            var set = await store.GetAsync<MachineSet>(ns, owner.Name!, ct).ConfigureAwait(false);
            var deploymentRef = set?.Metadata.OwnerReferences?.FirstOrDefault(o => o.Controller == true && o.Kind == "MachineDeployment");
            if (deploymentRef is not null && await store.GetAsync<MachineDeployment>(ns, deploymentRef.Name!, ct).ConfigureAwait(false) is { } deployment)
            {
                deployment.Spec.Replicas = Math.Max(0, (deployment.Spec.Replicas ?? 1) - 1);
                await store.UpdateAsync(deployment, ct).ConfigureAwait(false);
            }
            else if (set is not null)
            {
                set.Spec.Replicas = Math.Max(0, (set.Spec.Replicas ?? 1) - 1);
                await store.UpdateAsync(set, ct).ConfigureAwait(false);
            }
        }
        await SettleAsync(store, session, clusterName, log, wait, s => s.Machines.All(m => m.Name != machineName), ct).ConfigureAwait(false);
    }

    /// <summary>Kubernetes' skew policy: a kubelet is never newer than the API server and at most three minors older.</summary>
    internal static void CheckSkew(string kubelet, string? controlPlane, string deployment)
    {
        if (controlPlane is null || !Version.TryParse(kubelet, out var k) || !Version.TryParse(controlPlane, out var c)) return;
        if (k.Major != c.Major || k.Minor > c.Minor || k.Minor < c.Minor - 3)
            throw new PacketClusterException("VersionSkew", ErrorKind.InvalidArgument,
                $"Workers of {deployment} cannot run Kubernetes {kubelet} with a {controlPlane} control plane: a kubelet may be at most three minor versions older than the API server and never newer.",
                "Choose a Kubernetes version at most three minor versions older than the control plane's and not newer.", deployment);
    }

    internal static bool DeploymentSettled(ClusterSnapshot s, MachineDeployment deployment)
    {
        // By ownership, not by selector: with several node pools the first pool's selector (cluster, set=node) also
        // matches the other pools' machines.
        var mine = MachinesOf(s, deployment).ToList();
        var version = deployment.Spec.Template?.Spec?.Versions?.Kubelet;
        return mine.Count == (deployment.Spec.Replicas ?? 1)
            && mine.All(m => m.Metadata.DeletionTimestamp is null && m.Status?.Phase is Phases.Provisioned or Phases.Running && m.Spec.Versions?.Kubelet == version);
    }

    /// <summary>The machines of the deployment's MachineSets (controller references), wherever their labels point.</summary>
    internal static IEnumerable<Machine> MachinesOf(ClusterSnapshot s, MachineDeployment deployment)
    {
        var sets = s.Sets.Where(set => ReplicaOwnership.IsControlledBy(set, deployment)).Select(set => set.Metadata.Uid).OfType<string>().ToHashSet();
        return s.Machines.Where(m => ReplicaOwnership.ControllerOf(m)?.Uid is { } owner && sets.Contains(owner));
    }

    /// <summary>
    /// Before a control plane is removed: its etcd member leaves, so the members left must still have a quorum of healthy
    /// ones. Checked here, before anything changes, against the members' own answers (<c>WouldLoseQuorum</c>). An etcd
    /// that cannot be reached at all is no quorum either.
    /// </summary>
    private static async Task RefuseQuorumLossAsync(IStateStore store, string clusterName, Machine machine, CancellationToken ct)
    {
        var ns = ClusterOperations.DefaultNamespace;
        var controlPlanes = (await MachinesAsync(store, clusterName, ct).ConfigureAwait(false)).Where(m => m.IsControlPlane).ToList();
        // Control planes that never became Nodes (booting off, a cluster that never came up) have no etcd data to protect.
        if (!controlPlanes.Any(m => m.Status?.NodeRef is not null)) return;
        var hosts = controlPlanes.Where(m => m.Metadata.DeletionTimestamp is null).Select(m => MachineAddresses.ExternalIpv4(m.Status)).OfType<string>().ToList();
        using var etcd = await ControlPlane.EtcdCluster.OpenAsync(store, ns, clusterName, hosts, ct).ConfigureAwait(false);
        if (etcd is null || hosts.Count == 0) return;
        IReadOnlyList<ControlPlane.EtcdMember> members;
        try
        {
            members = await etcd.MembersAsync(ct).ConfigureAwait(false);
        }
        catch (ControlPlane.EtcdUnavailableException e)
        {
            throw new PacketClusterException(ControlPlane.EtcdQuorum.WouldLoseQuorumErrorId, ErrorKind.InvalidOperation,
                $"Removing control plane '{machine.Name}' was refused: etcd cannot be asked who is healthy ({e.Message}). Nothing was changed; " +
                "bring the stopped control planes back (power them on) and try again.",
                "Power the stopped control planes back on, then try again.", machine.Name, e);
        }
        var healthy = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in members)
            if (await etcd.IsHealthyAsync(member, ct).ConfigureAwait(false)) healthy.Add(member.Id);
        if (!ControlPlane.EtcdQuorum.WouldLose(members, healthy, MachineAddresses.ExternalIpv4(machine.Status), machine.Name)) return;
        var remaining = members.Count - 1;
        throw new PacketClusterException(ControlPlane.EtcdQuorum.WouldLoseQuorumErrorId, ErrorKind.InvalidOperation,
            $"Removing control plane '{machine.Name}' would lose etcd quorum: {healthy.Count} of {members.Count} members are healthy " +
            $"({string.Join(", ", members.Select(m => $"{ControlPlane.EtcdCluster.Describe(m)} {(healthy.Contains(m.Id) ? "healthy" : "unhealthy")}"))}), " +
            $"and the {remaining} left would need {ControlPlane.EtcdQuorum.Of(remaining)} healthy. Nothing was changed; bring the unhealthy " +
            "control planes back (power them on) or remove an unhealthy one first.",
            "Power the unhealthy control planes back on, or remove an unhealthy one first.", machine.Name);
    }

    /// <param name="progress">What to report after each pass; default: the snapshot's description.</param>
    internal static async Task SettleAsync(IStateStore store, PacketSession session, string clusterName, IEngineLog log, ChangeWait wait,
        Func<ClusterSnapshot, bool> settled, CancellationToken ct, Func<ClusterSnapshot, EngineProgress>? progress = null)
    {
        using var client = session.CreateClient(log);
        using var context = ClusterReconcileContext.Create(store, client, session.RequireProjectId(), log, inventoryMaxAge: wait.PollInterval);
        var loop = new ClusterReconcileLoop(context, ClusterOperations.DefaultNamespace, clusterName, wait.Concurrency);
        // Pivoted: the cluster's own manager reconciles; reconciling here too would race it. Only watch.
        var pivoted = store is KubernetesStore;
        if (!wait.Wait)
        {
            if (!pivoted) await loop.RunOnceAsync(ct).ConfigureAwait(false);
            return;
        }
        await loop.RunUntilAsync(settled, wait.Timeout, wait.PollInterval,
            s =>
            {
                ControlPlane.ControlPlaneAddressBook.RecordFrom(s.Cluster, s.Machines);
                log.Report(progress?.Invoke(s) ?? new EngineProgress(Activity, pivoted ? "Waiting for the manager" : "Reconciling", s.Describe()));
            }, ct, reconcile: !pivoted).ConfigureAwait(false);
    }

    private static async Task<MachineDeployment> FindDeploymentAsync(IStateStore store, string clusterName, string? name, CancellationToken ct)
    {
        var selector = new Dictionary<string, string> { [ClusterValidation.ClusterNameLabel] = clusterName };
        var all = await store.ListAsync<MachineDeployment>(ClusterOperations.DefaultNamespace, selector, ct).ConfigureAwait(false);
        var found = name is null ? all.ToList() : all.Where(d => d.Name == name).ToList();
        // A node pool's short name (New-PacketMachineDeployment -Name gpu makes <cluster>-gpu).
        if (name is not null && found.Count == 0) found = all.Where(d => d.Name == MachineDeploymentOperations.FullName(clusterName, name)).ToList();
        return found.Count switch
        {
            1 => found[0],
            0 => throw new PacketClusterException("MachineDeploymentNotFound", ErrorKind.ObjectNotFound,
                name is null ? $"Cluster '{clusterName}' has no MachineDeployment to scale." : $"Cluster '{clusterName}' has no MachineDeployment '{name}'. It has: {string.Join(", ", all.Select(d => d.Name))}.",
                "Run Get-PacketMachine -ClusterName to see the cluster's MachineDeployments and pass one to -DeploymentName.", name ?? clusterName),
            _ => throw new PacketClusterException("MachineDeploymentAmbiguous", ErrorKind.InvalidArgument,
                $"Cluster '{clusterName}' has several MachineDeployments ({string.Join(", ", found.Select(d => d.Name))}); name one with -DeploymentName.",
                "Name one with -DeploymentName.", clusterName),
        };
    }

    /// <summary><c>&lt;cluster&gt;-control-plane-N</c> after the highest N in use, so a name never returns while an older machine with it may still be deleting.</summary>
    internal static string[] NextControlPlaneNames(string clusterName, IEnumerable<Machine> machines, int count)
    {
        var prefix = clusterName + "-control-plane-";
        var highest = machines.Select(m => m.Name.StartsWith(prefix, StringComparison.Ordinal)
                && int.TryParse(m.Name.AsSpan(prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1)
            .DefaultIfEmpty(-1).Max();
        return Enumerable.Range(highest + 1, count).Select(i => prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
    }

    internal static Task<IReadOnlyList<Machine>> MachinesAsync(IStateStore store, string clusterName, CancellationToken ct) =>
        store.ListAsync<Machine>(ClusterOperations.DefaultNamespace, new Dictionary<string, string> { [ClusterValidation.ClusterNameLabel] = clusterName }, ct);

    internal static IOwnedStateStore Open(string stateRoot, string clusterName) => ClusterQueries.OpenExisting(stateRoot, clusterName);
}
