using PacketCluster.Engine.Api;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// Rolls a MachineDeployment out as one MachineSet per template revision, named <c>&lt;deployment&gt;-&lt;hash&gt;</c> and
/// labelled <see cref="TemplateHash.Label"/>. It writes only MachineSet objects (their spec.replicas); the MachineSet
/// reconciler turns replicas into Machines.
/// <list type="bullet">
/// <item>Rolling update as in Kubernetes: the new set grows while the machines of all sets stay within
/// replicas + maxSurge, and old sets shrink while available machines stay at or above replicas − maxUnavailable.
/// With the defaults (surge 1, unavailable 0) a version change replaces machines one at a time.</item>
/// <item>Counts come from the Machines themselves rather than from MachineSet status, which may lag a pass behind:
/// a set counts as max(spec.replicas, its machines incl. deleting) towards the surge limit, and as
/// min(spec.replicas, its available machines) towards availability, so a stale view can only make the rollout slower.</item>
/// <item>spec.paused: nothing is created, scaled or deleted; status is still reported.</item>
/// <item>Old sets that have drained are deleted beyond spec.revisionHistoryLimit (default 1).</item>
/// <item>The store has no garbage collector, so the deployment carries <see cref="Finalizer"/>: deleting it deletes its
/// sets (whose own finalizer deletes their machines), and it goes once they are gone.</item>
/// </list>
/// </summary>
public sealed class MachineDeploymentReconciler
{
    public const string Finalizer = "machinedeployment.cluster.k8s.io";

    // Sets go only after their machines' devices are released: same pace as machine deletion.
    public static readonly TimeSpan DeleteRequeueAfter = TimeSpan.FromSeconds(10);

    // A rollout moves when machines become available, which does not touch the deployment: poll while it is under way.
    public static readonly TimeSpan ProgressRequeueAfter = TimeSpan.FromSeconds(20);

    private const int DefaultRevisionHistoryLimit = 1;

    private readonly IStateStore _store;
    private readonly IEngineLog _log;
    private readonly TimeProvider _time;

    public MachineDeploymentReconciler(IStateStore store, IEngineLog? log = null, TimeProvider? time = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _log = log ?? NullEngineLog.Instance;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Everything one reconcile of one deployment works on.</summary>
    private sealed class Scope(MachineDeployment deployment)
    {
        public MachineDeployment Deployment { get; set; } = deployment;
        public string Namespace => Deployment.Metadata.Namespace ?? string.Empty;
        public int Replicas => Deployment.Spec.Replicas ?? 1;
        public string Hash { get; set; } = string.Empty;
        public RollingUpdateBudget Budget { get; set; }
        public List<MachineSet> Sets { get; } = new();
        public ILookup<string, Machine> MachinesBySet { get; set; } = Array.Empty<Machine>().ToLookup(m => string.Empty);
        public MachineSet? NewSet { get; set; }
        public IEnumerable<MachineSet> OldSets => Sets.Where(s => !ReferenceEquals(s, NewSet));
        public bool Halted { get; set; }
        /// <summary>Sets and machines were read this pass, so status can be computed from them.</summary>
        public bool Loaded { get; set; }
        public bool Completed { get; set; }
        public bool Gone { get; set; }
        public IEnumerable<Machine> MachinesOf(MachineSet set) => MachinesBySet[set.Metadata.Uid ?? string.Empty];
    }

    public async Task<ReconcileResult> ReconcileAsync(string @namespace, string name, CancellationToken ct)
    {
        var deployment = await _store.GetAsync<MachineDeployment>(@namespace, name, ct).ConfigureAwait(false);
        if (deployment is null) return ReconcileResult.Done;
        deployment.Metadata.Namespace ??= @namespace;

        var scope = new Scope(deployment);
        var result = ReconcileResult.Done;
        try
        {
            // Delete steps are ordered (sets gone before the finalizer goes); normal steps each check scope.Halted.
            result = ReplicaOwnership.IsDeleting(deployment)
                ? await ReconcileSteps.RunInOrderAsync(_log, deployment.ToString(), ct,
                    c => DeleteMachineSetsAsync(scope, c), c => RemoveFinalizerAsync(scope, c)).ConfigureAwait(false)
                : await ReconcileSteps.RunAllAsync(_log, deployment.ToString(), ct,
                    c => EnsureFinalizerAsync(scope, c), c => FollowClusterDeletionAsync(scope, c), c => CheckSpecAsync(scope, c), c => LoadMachineSetsAsync(scope, c),
                    c => EnsureNewMachineSetAsync(scope, c), c => ScaleUpNewMachineSetAsync(scope, c),
                    c => ScaleDownOldMachineSetsAsync(scope, c), c => DeleteDrainedMachineSetsAsync(scope, c)).ConfigureAwait(false);
        }
        catch (PacketClusterException ex) when (ex is StoreConflictException || ex.Kind == ErrorKind.ObjectNotFound)
        {
            // Lost a race: the object changed, or one we were about to write (adopt, scale) went away meanwhile.
            _log.Debug($"{deployment}: {ex.Message}; trying again.");
            result = ReconcileResult.RequeueAfter(RequeueIntervals.StoreConflict);
        }
        finally
        {
            if (!scope.Gone)
                result = ReconcileResult.Combine(result, await PatchStatusAsync(scope, CancellationToken.None).ConfigureAwait(false));
        }
        return result;
    }

    // After the finalizer, so the deletion runs through our own delete path (descendants first).
    private async Task<ReconcileResult> FollowClusterDeletionAsync(Scope scope, CancellationToken ct)
    {
        if (!await ReplicaOwnership.IsClusterDeletingAsync(_store, scope.Deployment, ct).ConfigureAwait(false)) return ReconcileResult.Done;
        _log.Verbose($"{scope.Deployment}: its Cluster is being deleted; deleting it too.");
        await _store.DeleteAsync<MachineDeployment>(scope.Namespace, scope.Deployment.Name, ct).ConfigureAwait(false);
        scope.Halted = true;
        // Now marked for deletion: the very next pass takes the delete path.
        return ReconcileResult.RequeueAfter(TimeSpan.Zero);
    }

    // Finalizer first: from here on, deleting the deployment cannot strand its sets.
    private async Task<ReconcileResult> EnsureFinalizerAsync(Scope scope, CancellationToken ct)
    {
        if (ReplicaOwnership.HasFinalizer(scope.Deployment, Finalizer)) return ReconcileResult.Done;
        (scope.Deployment.Metadata.Finalizers ??= new List<string>()).Add(Finalizer);
        scope.Deployment = await _store.UpdateAsync(scope.Deployment, ct).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    private Task<ReconcileResult> CheckSpecAsync(Scope scope, CancellationToken ct)
    {
        if (scope.Halted) return Task.FromResult(ReconcileResult.Done);
        var spec = scope.Deployment.Spec;
        var selector = spec.Selector?.MatchLabels;
        string? problem =
            selector is null || selector.Count == 0 ? "spec.selector.matchLabels is empty; a deployment must select its machines by label."
            : spec.Template?.Spec is null ? "spec.template.spec is missing."
            : !ReplicaLabels.Matches(selector, spec.Template.Metadata?.Labels) ? $"spec.template.metadata.labels do not match spec.selector ({ReplicaLabels.ToSelectorString(selector)})."
            : spec.Replicas < 0 ? "spec.replicas is negative."
            : spec.Strategy?.Type is not (null or "" or "RollingUpdate") ? $"spec.strategy.type '{spec.Strategy.Type}' is not supported; use RollingUpdate."
            : null;
        if (problem is null)
        {
            try
            {
                scope.Budget = RollingUpdateBudget.For(spec.Strategy?.RollingUpdate, scope.Replicas);
                scope.Hash = TemplateHash.Compute(spec.Template!);
            }
            catch (PacketClusterException ex)
            {
                problem = ex.Message;
            }
        }
        if (problem is not null)
        {
            // Nothing to retry: the next change to the spec triggers the next reconcile.
            _log.Warning($"{scope.Deployment}: {problem}");
            scope.Halted = true;
        }
        return Task.FromResult(ReconcileResult.Done);
    }

    private async Task<ReconcileResult> LoadMachineSetsAsync(Scope scope, CancellationToken ct)
    {
        if (scope.Halted) return ReconcileResult.Done;
        var selector = scope.Deployment.Spec.Selector!.MatchLabels!;
        foreach (var set in await _store.ListAsync<MachineSet>(scope.Namespace, ReplicaOwnership.ClusterSelector(scope.Deployment), ct).ConfigureAwait(false))
        {
            if (ReplicaOwnership.IsControlledBy(set, scope.Deployment))
            {
                scope.Sets.Add(set);
                continue;
            }
            if (ReplicaOwnership.ControllerOf(set) is not null || ReplicaOwnership.IsDeleting(set)
                || !ReplicaLabels.Matches(selector, set.Metadata.Labels))
                continue;
            ReplicaOwnership.Adopt(set, scope.Deployment);
            scope.Sets.Add(await _store.UpdateAsync(set, ct).ConfigureAwait(false));
            _log.Verbose($"{scope.Deployment}: adopted {set}.");
        }
        await LoadMachinesAsync(scope, ct).ConfigureAwait(false);
        scope.Loaded = true;
        // A paused deployment is looked at (status) but not acted on.
        if (scope.Deployment.Spec.Paused == true) scope.Halted = true;
        return ReconcileResult.Done;
    }

    private async Task LoadMachinesAsync(Scope scope, CancellationToken ct)
    {
        var setUids = scope.Sets.Select(s => s.Metadata.Uid).Where(u => u is not null).ToHashSet();
        scope.MachinesBySet = (await _store.ListAsync<Machine>(scope.Namespace, ReplicaOwnership.ClusterSelector(scope.Deployment), ct).ConfigureAwait(false))
            .Select(m => (Machine: m, Owner: ReplicaOwnership.ControllerOf(m)?.Uid))
            .Where(x => x.Owner is not null && setUids.Contains(x.Owner))
            .ToLookup(x => x.Owner!, x => x.Machine);
    }

    private async Task<ReconcileResult> EnsureNewMachineSetAsync(Scope scope, CancellationToken ct)
    {
        if (scope.Halted) return ReconcileResult.Done;
        var deployment = scope.Deployment;
        var name = $"{deployment.Name}-{scope.Hash}";
        var existing = scope.Sets.FirstOrDefault(s => s.Name == name)
            ?? scope.Sets.FirstOrDefault(s => s.Metadata.Labels?.GetValueOrDefault(TemplateHash.Label) == scope.Hash);
        if (existing is not null)
        {
            if (ReplicaOwnership.IsDeleting(existing))
            {
                // Someone deleted the current revision's set; make it again once it is gone.
                scope.Halted = true;
                return ReconcileResult.RequeueAfter(DeleteRequeueAfter);
            }
            scope.NewSet = existing;
            if (existing.Spec.MinReadySeconds != deployment.Spec.MinReadySeconds)
            {
                existing.Spec.MinReadySeconds = deployment.Spec.MinReadySeconds;
                await UpdateSetAsync(scope, existing, ct).ConfigureAwait(false);
            }
            return ReconcileResult.Done;
        }

        var template = ResourceCodec.FromJson<MachineTemplateSpec>(ResourceCodec.ToJson(deployment.Spec.Template!));
        var metadata = template.Metadata ??= new ObjectMeta();
        metadata.Labels = ReplicaLabels.With(metadata.Labels, (TemplateHash.Label, scope.Hash));
        var clusterName = deployment.Metadata.Labels?.GetValueOrDefault(ClusterValidation.ClusterNameLabel);
        var set = new MachineSet
        {
            Metadata = new ObjectMeta
            {
                Name = name,
                Namespace = deployment.Metadata.Namespace,
                Labels = ReplicaLabels.With(deployment.Spec.Template!.Metadata?.Labels,
                    (TemplateHash.Label, scope.Hash), (ClusterValidation.ClusterNameLabel, clusterName)),
                OwnerReferences = new List<OwnerReference> { ReplicaOwnership.ControllerReference(deployment) },
            },
            Spec = new MachineSetSpec
            {
                // Start empty: ScaleUpNewMachineSet sizes it within the surge limit (at once when there is no old set).
                Replicas = 0,
                MinReadySeconds = deployment.Spec.MinReadySeconds,
                Selector = new LabelSelector { MatchLabels = ReplicaLabels.With(deployment.Spec.Selector!.MatchLabels, (TemplateHash.Label, scope.Hash)) },
                Template = template,
            },
        };
        try
        {
            scope.NewSet = await _store.CreateAsync(set, ct).ConfigureAwait(false);
        }
        catch (StoreConflictException ex) when (ex.ErrorId == StoreConflictException.ExistsErrorId)
        {
            // The name is taken by a set we do not control (another owner, or a selector that does not match ours).
            _log.Warning($"{deployment}: MachineSet {name} exists but does not belong to this deployment; rename or delete it.");
            scope.Halted = true;
            return ReconcileResult.RequeueAfter(ProgressRequeueAfter);
        }
        scope.Sets.Add(scope.NewSet);
        _log.Verbose($"{deployment}: created {set} for template revision {scope.Hash}.");
        return ReconcileResult.Done;
    }

    // Surge limit: all machines that exist or are about to (a set's spec may be ahead of, or behind, its machines).
    private int SurgeCount(Scope scope, MachineSet set) => Math.Max(set.Spec.Replicas ?? 0, scope.MachinesOf(set).Count());

    // Availability floor: what a set will still have available after it converges on spec.replicas (it deletes unavailable machines first).
    private int AvailableCount(Scope scope, MachineSet set, DateTimeOffset now)
    {
        var minReady = scope.Deployment.Spec.MinReadySeconds ?? 0;
        return Math.Min(set.Spec.Replicas ?? 0, scope.MachinesOf(set).Count(m => MachineReadiness.IsAvailable(m, minReady, now)));
    }

    private async Task<ReconcileResult> ScaleUpNewMachineSetAsync(Scope scope, CancellationToken ct)
    {
        if (scope.Halted || scope.NewSet is not { } newSet) return ReconcileResult.Done;
        var current = newSet.Spec.Replicas ?? 0;
        int target;
        if (current >= scope.Replicas) target = scope.Replicas; // replicas lowered: the new revision simply shrinks.
        else
        {
            var room = scope.Replicas + scope.Budget.MaxSurge - scope.Sets.Sum(s => SurgeCount(scope, s));
            target = current + Math.Clamp(room, 0, scope.Replicas - current);
        }
        if (target == current) return ReconcileResult.Done;
        newSet.Spec.Replicas = target;
        await UpdateSetAsync(scope, newSet, ct).ConfigureAwait(false);
        _log.Verbose($"{scope.Deployment}: scaled {newSet} from {current} to {target}.");
        return ReconcileResult.Done;
    }

    private async Task<ReconcileResult> ScaleDownOldMachineSetsAsync(Scope scope, CancellationToken ct)
    {
        if (scope.Halted || scope.NewSet is not { } newSet) return ReconcileResult.Done;
        var now = _time.GetUtcNow();
        var oldSets = scope.OldSets.Where(s => (s.Spec.Replicas ?? 0) > 0)
            .OrderBy(s => s.Metadata.CreationTimestamp ?? DateTimeOffset.MinValue).ThenBy(s => s.Name, StringComparer.Ordinal).ToList();
        var result = RolloutProgress(scope, now);
        if (oldSets.Count == 0) { scope.Completed = true; return result; }

        var minAvailable = scope.Replicas - scope.Budget.MaxUnavailable;
        var newUnavailable = (newSet.Spec.Replicas ?? 0) - AvailableCount(scope, newSet, now);
        var changed = new HashSet<MachineSet>();

        // 1. Replicas that are not available anyway cost nothing to give up; they only hold the surge budget.
        var maxScaledDown = scope.Sets.Sum(s => s.Spec.Replicas ?? 0) - minAvailable - newUnavailable;
        foreach (var set in oldSets)
        {
            if (maxScaledDown <= 0) break;
            var unhealthy = (set.Spec.Replicas ?? 0) - AvailableCount(scope, set, now);
            if (unhealthy <= 0) continue;
            var by = Math.Min(unhealthy, maxScaledDown);
            set.Spec.Replicas -= by;
            maxScaledDown -= by;
            changed.Add(set);
        }

        // 2. Available replicas, oldest revision first, only as far as availability stays at or above the floor.
        var canLose = scope.Sets.Sum(s => AvailableCount(scope, s, now)) - minAvailable;
        foreach (var set in oldSets)
        {
            if (canLose <= 0) break;
            var by = Math.Min(set.Spec.Replicas ?? 0, canLose);
            if (by <= 0) continue;
            set.Spec.Replicas -= by;
            canLose -= by;
            changed.Add(set);
        }

        foreach (var set in changed)
        {
            await UpdateSetAsync(scope, set, ct).ConfigureAwait(false);
            _log.Verbose($"{scope.Deployment}: scaled old {set} down to {set.Spec.Replicas}.");
        }
        scope.Completed = true;
        return result;
    }

    // Done when the new revision alone holds every replica and they are all available; else poll.
    private ReconcileResult RolloutProgress(Scope scope, DateTimeOffset now)
    {
        var settled = scope.OldSets.All(s => (s.Spec.Replicas ?? 0) == 0 && !scope.MachinesOf(s).Any())
            && scope.NewSet is { } newSet
            && scope.MachinesOf(newSet).Count() == scope.Replicas
            && AvailableCount(scope, newSet, now) == scope.Replicas;
        return settled ? ReconcileResult.Done : ReconcileResult.RequeueAfter(ProgressRequeueAfter);
    }

    private async Task<ReconcileResult> DeleteDrainedMachineSetsAsync(Scope scope, CancellationToken ct)
    {
        if (scope.Halted) return ReconcileResult.Done;
        var keep = Math.Max(scope.Deployment.Spec.RevisionHistoryLimit ?? DefaultRevisionHistoryLimit, 0);
        var drained = scope.OldSets
            .Where(s => !ReplicaOwnership.IsDeleting(s) && (s.Spec.Replicas ?? 0) == 0 && !scope.MachinesOf(s).Any())
            .OrderByDescending(s => s.Metadata.CreationTimestamp ?? DateTimeOffset.MinValue)
            .Skip(keep)
            .ToList();
        foreach (var set in drained)
        {
            await _store.DeleteAsync<MachineSet>(scope.Namespace, set.Name, ct).ConfigureAwait(false);
            _log.Verbose($"{scope.Deployment}: deleted drained {set} (revision history limit {keep}).");
        }
        return ReconcileResult.Done;
    }

    private async Task<ReconcileResult> DeleteMachineSetsAsync(Scope scope, CancellationToken ct)
    {
        var remaining = 0;
        foreach (var set in await _store.ListAsync<MachineSet>(scope.Namespace, ReplicaOwnership.ClusterSelector(scope.Deployment), ct).ConfigureAwait(false))
        {
            if (!ReplicaOwnership.IsControlledBy(set, scope.Deployment)) continue;
            if (!ReplicaOwnership.IsDeleting(set))
                await _store.DeleteAsync<MachineSet>(scope.Namespace, set.Name, ct).ConfigureAwait(false);
            if (await _store.GetAsync<MachineSet>(scope.Namespace, set.Name, ct).ConfigureAwait(false) is not null) remaining++;
        }
        if (remaining == 0) return ReconcileResult.Done;
        _log.Verbose($"{scope.Deployment}: waiting for {remaining} MachineSet(s) to delete their machines.");
        return ReconcileResult.RequeueAfter(DeleteRequeueAfter);
    }

    private async Task<ReconcileResult> RemoveFinalizerAsync(Scope scope, CancellationToken ct)
    {
        if (scope.Deployment.Metadata.Finalizers?.Remove(Finalizer) == true)
            await _store.UpdateAsync(scope.Deployment, ct).ConfigureAwait(false);
        scope.Gone = true;
        return ReconcileResult.Done;
    }

    private async Task UpdateSetAsync(Scope scope, MachineSet set, CancellationToken ct)
    {
        var updated = await _store.UpdateAsync(set, ct).ConfigureAwait(false);
        var index = scope.Sets.IndexOf(set);
        if (index >= 0) scope.Sets[index] = updated;
        if (ReferenceEquals(scope.NewSet, set)) scope.NewSet = updated;
    }

    private async Task<ReconcileResult> PatchStatusAsync(Scope scope, CancellationToken ct)
    {
        try
        {
            var deployment = await _store.GetAsync<MachineDeployment>(scope.Namespace, scope.Deployment.Name, ct).ConfigureAwait(false);
            if (deployment is null || deployment.Metadata.Uid != scope.Deployment.Metadata.Uid) return ReconcileResult.Done;
            // An invalid spec or a lost race ended the pass before anything was read: keep the last status.
            if (!scope.Loaded) return ReconcileResult.Done;
            var minReady = deployment.Spec.MinReadySeconds ?? 0;
            var now = _time.GetUtcNow();
            var live = scope.Sets.SelectMany(scope.MachinesOf).Where(m => !ReplicaOwnership.IsDeleting(m)).ToList();
            var updated = scope.NewSet is { } newSet ? scope.MachinesOf(newSet).Count(m => !ReplicaOwnership.IsDeleting(m))
                : scope.Hash.Length > 0 ? scope.Sets.Where(s => s.Metadata.Labels?.GetValueOrDefault(TemplateHash.Label) == scope.Hash)
                    .SelectMany(scope.MachinesOf).Count(m => !ReplicaOwnership.IsDeleting(m))
                : 0;
            var available = live.Count(m => MachineReadiness.IsAvailable(m, minReady, now));
            var status = new MachineDeploymentStatus
            {
                Selector = ReplicaLabels.ToSelectorString(deployment.Spec.Selector?.MatchLabels),
                Replicas = live.Count,
                UpdatedReplicas = updated,
                ReadyReplicas = live.Count(MachineReadiness.IsReady),
                AvailableReplicas = available,
                UnavailableReplicas = Math.Max(scope.Replicas - available, 0),
                ObservedGeneration = scope.Completed && deployment.Metadata.Generation == scope.Deployment.Metadata.Generation
                    ? deployment.Metadata.Generation : deployment.Status?.ObservedGeneration,
            };
            if (deployment.Status is not null && ResourceCodec.ToJson(deployment.Status) == ResourceCodec.ToJson(status)) return ReconcileResult.Done;
            deployment.Status = status;
            await _store.UpdateStatusAsync(deployment, ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }
        catch (StoreConflictException)
        {
            return ReconcileResult.RequeueAfter(RequeueIntervals.StoreConflict);
        }
        catch (PacketClusterException ex) when (ex.Kind == ErrorKind.ObjectNotFound)
        {
            // Removed between our read and the status write: nothing left to report on.
            return ReconcileResult.Done;
        }
    }
}
