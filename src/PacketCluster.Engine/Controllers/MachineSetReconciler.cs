using PacketCluster.Engine.Api;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// Keeps spec.replicas Machines of a MachineSet's template in the store. It only writes Machine objects; the Machine
/// reconciler turns them into devices and reports back through status.phase, which this reconciler reads.
/// <list type="bullet">
/// <item>Machines whose labels match the selector and that have no controller are adopted (controller owner reference).</item>
/// <item>A Failed machine is deleted and replaced; a machine whose object vanished is simply missing and is replaced.
/// Deleting machines no longer count: their devices are on their way out.</item>
/// <item>Scale-down picks machines by <see cref="MachineDeletionOrder"/>.</item>
/// <item>The store has no garbage collector, so the set carries <see cref="Finalizer"/>: deleting the set deletes its
/// machines here, and the set goes only once they are gone. A set deleted before its first reconcile (no finalizer yet)
/// leaves its machines as orphans, which a set with a matching selector adopts.</item>
/// </list>
/// Status: replicas, fullyLabeled, ready (phase Running or Provisioned, see <see cref="MachineReadiness"/>), available
/// (ready for minReadySeconds), selector; observedGeneration advances only after a reconcile that completed.
/// </summary>
public sealed class MachineSetReconciler
{
    public const string Finalizer = "machineset.cluster.k8s.io";

    // Machine deletion waits for the Machine reconciler to release devices (minutes); look again soon, not in a tight loop.
    public static readonly TimeSpan DeleteRequeueAfter = TimeSpan.FromSeconds(10);

    // Machines change phase without touching their set (no watches on the file store), so poll until all are available.
    public static readonly TimeSpan ProgressRequeueAfter = TimeSpan.FromSeconds(20);

    private const string NameAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const int NameSuffixLength = 5;
    private const int NameAttempts = 5;

    private readonly IStateStore _store;
    private readonly IEngineLog _log;
    private readonly TimeProvider _time;
    private readonly Random _random;

    public MachineSetReconciler(IStateStore store, IEngineLog? log = null, TimeProvider? time = null, Random? random = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _log = log ?? NullEngineLog.Instance;
        _time = time ?? TimeProvider.System;
        _random = random ?? Random.Shared;
    }

    /// <summary>Everything one reconcile of one set works on.</summary>
    private sealed class Scope(MachineSet set)
    {
        public MachineSet Set { get; set; } = set;
        public List<Machine> Machines { get; } = new();
        public bool Halted { get; set; }
        /// <summary>Every normal step ran to its end (a lost write race ends the pass early); gates observedGeneration.</summary>
        public bool Completed { get; set; }
        public bool Gone { get; set; }
        public string? ErrorReason { get; set; }
        public string? ErrorMessage { get; set; }
        public string Namespace => Set.Metadata.Namespace ?? string.Empty;
    }

    public async Task<ReconcileResult> ReconcileAsync(string @namespace, string name, CancellationToken ct)
    {
        var set = await _store.GetAsync<MachineSet>(@namespace, name, ct).ConfigureAwait(false);
        if (set is null) return ReconcileResult.Done;
        set.Metadata.Namespace ??= @namespace;

        var scope = new Scope(set);
        var result = ReconcileResult.Done;
        var completed = false;
        try
        {
            // Delete steps are ordered (machines gone before the finalizer goes); normal steps each check scope.Halted.
            result = ReplicaOwnership.IsDeleting(set)
                ? await ReconcileSteps.RunInOrderAsync(_log, set.ToString(), ct,
                    c => DeleteMachinesAsync(scope, c), c => RemoveFinalizerAsync(scope, c)).ConfigureAwait(false)
                : await ReconcileSteps.RunAllAsync(_log, set.ToString(), ct,
                    c => EnsureFinalizerAsync(scope, c), c => FollowClusterDeletionAsync(scope, c), c => CheckSpecAsync(scope, c), c => AdoptMachinesAsync(scope, c),
                    c => ReplaceFailedMachinesAsync(scope, c), c => SyncReplicasAsync(scope, c)).ConfigureAwait(false);
            completed = scope.Completed && scope.ErrorReason is null;
        }
        catch (PacketClusterException ex) when (ex is StoreConflictException || ex.Kind == ErrorKind.ObjectNotFound)
        {
            // Lost a race: the object changed, or one we were about to write (adopt, scale) went away meanwhile.
            _log.Debug($"{set}: {ex.Message}; trying again.");
            result = ReconcileResult.RequeueAfter(RequeueIntervals.StoreConflict);
        }
        finally
        {
            // Status is written whatever happened, from what is in the store now (CAPI patches status in a defer).
            if (!scope.Gone)
                result = ReconcileResult.Combine(result, await PatchStatusAsync(scope, completed, CancellationToken.None).ConfigureAwait(false));
        }
        return result;
    }

    // After the finalizer, so the deletion runs through our own delete path (descendants first).
    private async Task<ReconcileResult> FollowClusterDeletionAsync(Scope scope, CancellationToken ct)
    {
        if (!await ReplicaOwnership.IsClusterDeletingAsync(_store, scope.Set, ct).ConfigureAwait(false)) return ReconcileResult.Done;
        _log.Verbose($"{scope.Set}: its Cluster is being deleted; deleting it too.");
        await _store.DeleteAsync<MachineSet>(scope.Namespace, scope.Set.Name, ct).ConfigureAwait(false);
        scope.Halted = true;
        // Now marked for deletion: the very next pass takes the delete path.
        return ReconcileResult.RequeueAfter(TimeSpan.Zero);
    }

    // Finalizer first: from here on, deleting the set cannot strand its machines.
    private async Task<ReconcileResult> EnsureFinalizerAsync(Scope scope, CancellationToken ct)
    {
        if (ReplicaOwnership.HasFinalizer(scope.Set, Finalizer)) return ReconcileResult.Done;
        (scope.Set.Metadata.Finalizers ??= new List<string>()).Add(Finalizer);
        scope.Set = await _store.UpdateAsync(scope.Set, ct).ConfigureAwait(false);
        return ReconcileResult.Done;
    }

    // A selector the template does not satisfy would create machines the set never sees again, without end.
    private Task<ReconcileResult> CheckSpecAsync(Scope scope, CancellationToken ct)
    {
        if (scope.Halted) return Task.FromResult(ReconcileResult.Done);
        var spec = scope.Set.Spec;
        var selector = spec.Selector?.MatchLabels;
        string? problem =
            selector is null || selector.Count == 0 ? "spec.selector.matchLabels is empty; a set must select its machines by label."
            : spec.Template?.Spec is null ? "spec.template.spec is missing."
            : !ReplicaLabels.Matches(selector, spec.Template.Metadata?.Labels) ? $"spec.template.metadata.labels do not match spec.selector ({ReplicaLabels.ToSelectorString(selector)})."
            : spec.Replicas < 0 ? "spec.replicas is negative."
            : !MachineDeletionOrder.IsKnownPolicy(spec.DeletePolicy) ? $"spec.deletePolicy '{spec.DeletePolicy}' is not Random, Newest or Oldest."
            : null;
        if (problem is not null)
        {
            scope.ErrorReason = "InvalidConfiguration";
            scope.ErrorMessage = problem;
            scope.Halted = true;
            _log.Warning($"{scope.Set}: {problem}");
        }
        return Task.FromResult(ReconcileResult.Done);
    }

    private async Task<ReconcileResult> AdoptMachinesAsync(Scope scope, CancellationToken ct)
    {
        if (scope.Halted) return ReconcileResult.Done;
        var selector = scope.Set.Spec.Selector!.MatchLabels!;
        foreach (var machine in await _store.ListAsync<Machine>(scope.Namespace, ReplicaOwnership.ClusterSelector(scope.Set), ct).ConfigureAwait(false))
        {
            if (ReplicaOwnership.IsControlledBy(machine, scope.Set))
            {
                scope.Machines.Add(machine);
                continue;
            }
            if (ReplicaOwnership.ControllerOf(machine) is not null || ReplicaOwnership.IsDeleting(machine)
                || !ReplicaLabels.Matches(selector, machine.Metadata.Labels))
                continue;
            ReplicaOwnership.Adopt(machine, scope.Set);
            scope.Machines.Add(await _store.UpdateAsync(machine, ct).ConfigureAwait(false));
            _log.Verbose($"{scope.Set}: adopted {machine}.");
        }
        return ReconcileResult.Done;
    }

    // Failed is terminal for a Machine: its device will not come back by itself. Delete it (the Machine reconciler
    // releases the device) and let SyncReplicas create the replacement, since deleting machines no longer count.
    private async Task<ReconcileResult> ReplaceFailedMachinesAsync(Scope scope, CancellationToken ct)
    {
        if (scope.Halted) return ReconcileResult.Done;
        for (var i = 0; i < scope.Machines.Count; i++)
        {
            var machine = scope.Machines[i];
            if (ReplicaOwnership.IsDeleting(machine) || !MachineReadiness.IsFailed(machine)) continue;
            _log.Verbose($"{scope.Set}: replacing failed {machine} ({machine.Status?.ErrorReason ?? machine.Status?.Phase}).");
            scope.Machines[i] = await DeleteMachineAsync(machine, ct).ConfigureAwait(false);
        }
        scope.Machines.RemoveAll(m => m.Metadata.Uid is null);
        return ReconcileResult.Done;
    }

    private async Task<ReconcileResult> SyncReplicasAsync(Scope scope, CancellationToken ct)
    {
        if (scope.Halted) return ReconcileResult.Done;
        var desired = scope.Set.Spec.Replicas ?? 1;
        var active = scope.Machines.Where(m => !ReplicaOwnership.IsDeleting(m)).ToList();
        if (active.Count < desired)
        {
            for (var i = active.Count; i < desired; i++)
                scope.Machines.Add(await CreateMachineAsync(scope.Set, ct).ConfigureAwait(false));
            _log.Verbose($"{scope.Set}: created {desired - active.Count} machine(s) for {desired} replica(s).");
        }
        else if (active.Count > desired)
        {
            var victims = MachineDeletionOrder.Prioritize(active, scope.Set.Spec.DeletePolicy, _random).Take(active.Count - desired).ToList();
            foreach (var machine in victims)
            {
                var index = scope.Machines.IndexOf(machine);
                scope.Machines[index] = await DeleteMachineAsync(machine, ct).ConfigureAwait(false);
            }
            scope.Machines.RemoveAll(m => m.Metadata.Uid is null);
            _log.Verbose($"{scope.Set}: deleting {string.Join(", ", victims.Select(m => m.Name))} for {desired} replica(s).");
        }
        scope.Completed = true;
        return UntilAvailable(scope);
    }

    // Ready machines become available after minReadySeconds; come back when the first one does, else poll progress.
    private ReconcileResult UntilAvailable(Scope scope)
    {
        var minReady = scope.Set.Spec.MinReadySeconds ?? 0;
        var now = _time.GetUtcNow();
        var result = ReconcileResult.Done;
        foreach (var machine in scope.Machines.Where(m => !ReplicaOwnership.IsDeleting(m)))
        {
            if (!MachineReadiness.IsReady(machine)) result = ReconcileResult.Combine(result, ReconcileResult.RequeueAfter(ProgressRequeueAfter));
            else if (MachineReadiness.RemainingUntilAvailable(machine, minReady, now) is var wait && wait > TimeSpan.Zero)
                result = ReconcileResult.Combine(result, ReconcileResult.RequeueAfter(wait));
        }
        return result;
    }

    private async Task<ReconcileResult> DeleteMachinesAsync(Scope scope, CancellationToken ct)
    {
        var remaining = 0;
        foreach (var machine in await _store.ListAsync<Machine>(scope.Namespace, ReplicaOwnership.ClusterSelector(scope.Set), ct).ConfigureAwait(false))
        {
            if (!ReplicaOwnership.IsControlledBy(machine, scope.Set)) continue;
            if (!ReplicaOwnership.IsDeleting(machine) && (await DeleteMachineAsync(machine, ct).ConfigureAwait(false)).Metadata.Uid is null)
                continue;
            remaining++;
        }
        if (remaining == 0) return ReconcileResult.Done;
        _log.Verbose($"{scope.Set}: waiting for {remaining} machine(s) to be deleted.");
        scope.Halted = true;
        return ReconcileResult.RequeueAfter(DeleteRequeueAfter);
    }

    private async Task<ReconcileResult> RemoveFinalizerAsync(Scope scope, CancellationToken ct)
    {
        if (scope.Set.Metadata.Finalizers?.Remove(Finalizer) == true)
            await _store.UpdateAsync(scope.Set, ct).ConfigureAwait(false);
        // With our finalizer gone the store removes the set (unless someone else's finalizer holds it).
        scope.Gone = true;
        return ReconcileResult.Done;
    }

    /// <summary>Deletes the machine and returns what is left of it: the object with deletionTimestamp (finalizers), or a blank when it is gone.</summary>
    private async Task<Machine> DeleteMachineAsync(Machine machine, CancellationToken ct)
    {
        await _store.DeleteAsync<Machine>(machine.Metadata.Namespace ?? string.Empty, machine.Name, ct).ConfigureAwait(false);
        return await _store.GetAsync<Machine>(machine.Metadata.Namespace ?? string.Empty, machine.Name, ct).ConfigureAwait(false)
            ?? new Machine { Metadata = new ObjectMeta { Name = machine.Name } };
    }

    private async Task<Machine> CreateMachineAsync(MachineSet set, CancellationToken ct)
    {
        var template = set.Spec.Template!;
        for (var attempt = 1; ; attempt++)
        {
            var machine = new Machine
            {
                Metadata = new ObjectMeta
                {
                    Name = $"{set.Name}-{RandomSuffix()}",
                    Namespace = set.Metadata.Namespace,
                    Labels = ReplicaLabels.With(template.Metadata?.Labels,
                        (ClusterValidation.ClusterNameLabel, set.Metadata.Labels?.GetValueOrDefault(ClusterValidation.ClusterNameLabel))),
                    Annotations = template.Metadata?.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null,
                    OwnerReferences = new List<OwnerReference> { ReplicaOwnership.ControllerReference(set) },
                },
                // A deep copy: machines must not share (and later mutate) the set's template objects.
                Spec = ResourceCodec.FromJson<MachineSpec>(ResourceCodec.ToJson(template.Spec!)),
            };
            try
            {
                return await _store.CreateAsync(machine, ct).ConfigureAwait(false);
            }
            catch (StoreConflictException ex) when (ex.ErrorId == StoreConflictException.ExistsErrorId && attempt < NameAttempts)
            {
                // 36^5 names: a clash is rare, and a new suffix resolves it.
            }
        }
    }

    private string RandomSuffix()
    {
        Span<char> suffix = stackalloc char[NameSuffixLength];
        for (var i = 0; i < suffix.Length; i++) suffix[i] = NameAlphabet[_random.Next(NameAlphabet.Length)];
        return new string(suffix);
    }

    private async Task<ReconcileResult> PatchStatusAsync(Scope scope, bool completed, CancellationToken ct)
    {
        try
        {
            var set = await _store.GetAsync<MachineSet>(scope.Namespace, scope.Set.Name, ct).ConfigureAwait(false);
            if (set is null || set.Metadata.Uid != scope.Set.Metadata.Uid) return ReconcileResult.Done;
            var machines = (await _store.ListAsync<Machine>(scope.Namespace, ReplicaOwnership.ClusterSelector(set), ct).ConfigureAwait(false))
                .Where(m => ReplicaOwnership.IsControlledBy(m, set) && !ReplicaOwnership.IsDeleting(m))
                .ToList();
            var templateLabels = set.Spec.Template?.Metadata?.Labels;
            var minReady = set.Spec.MinReadySeconds ?? 0;
            var now = _time.GetUtcNow();
            var status = new MachineSetStatus
            {
                Selector = ReplicaLabels.ToSelectorString(set.Spec.Selector?.MatchLabels),
                Replicas = machines.Count,
                FullyLabeledReplicas = machines.Count(m => templateLabels is null || templateLabels.Count == 0 || ReplicaLabels.Matches(templateLabels, m.Metadata.Labels)),
                ReadyReplicas = machines.Count(MachineReadiness.IsReady),
                AvailableReplicas = machines.Count(m => MachineReadiness.IsAvailable(m, minReady, now)),
                ObservedGeneration = completed && set.Metadata.Generation == scope.Set.Metadata.Generation ? set.Metadata.Generation : set.Status?.ObservedGeneration,
                ErrorReason = scope.ErrorReason,
                ErrorMessage = scope.ErrorMessage,
            };
            if (set.Status is not null && ResourceCodec.ToJson(set.Status) == ResourceCodec.ToJson(status)) return ReconcileResult.Done;
            set.Status = status;
            await _store.UpdateStatusAsync(set, ct).ConfigureAwait(false);
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
