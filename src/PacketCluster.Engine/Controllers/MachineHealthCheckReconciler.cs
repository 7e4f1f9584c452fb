using PacketCluster.Engine.Api;
using PacketCluster.Engine.Store;
using PacketCluster.Engine.Workload;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// Cluster API's MachineHealthCheck, reconciled by the same engine in the cmdlets and the manager. Each pass:
/// <list type="number">
/// <item>The targets: the cluster's Machines its selector matches, not being deleted.</item>
/// <item>Each target's health, from one Node list per cluster (the node inventory): a Node condition matching an
/// unhealthy condition for longer than its timeout (the real node lifecycle controller sets Ready Unknown when a
/// powered-off machine's heartbeats stop), a Node that was linked and is gone, no Node
/// <c>nodeStartupTimeout</c> after the device became active, or a failed Machine.</item>
/// <item>Short-circuit: more unhealthy targets than maxUnhealthy allows means something they share failed (a
/// partition, an API server or metro outage); nothing is remediated, the condition says so, and a warning says what
/// to check. A workload cluster whose Nodes cannot be listed is the same: no health can be judged, none is acted on.</item>
/// <item>Remediation: an unhealthy worker a MachineSet owns is deleted (drained, Node and device deleted by the Machine
/// reconciler) and its set makes a replacement. A machine no set owns is only reported; a control plane is replaced only
/// in an HA control plane while etcd keeps its quorum (<see cref="Pass"/>'s RemediateControlPlaneAsync). A machine
/// kept out by its configuration (<see cref="JoinDiagnostics.ConfigurationFailures"/>) is replaced with exponential
/// backoff per set: a replacement from the same template would likely fail the same way.</item>
/// </list>
/// Every verdict is the Machine's HealthCheckSucceeded condition; every remediation a warning, an Event and a count in
/// the health check's status. Status is written only when it changed, so a steady cluster costs no writes.
/// </summary>
public sealed class MachineHealthCheckReconciler(ClusterReconcileContext context)
{
    /// <summary>How often a health check looks again when nothing is about to time out.</summary>
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(30);

    /// <summary>The longest a configuration failure's backoff grows to.</summary>
    public static readonly TimeSpan MaxConfigurationBackoff = TimeSpan.FromHours(24);

    private ClusterReconcileContext Context => context;
    private IStateStore Store => context.Store;
    private IEngineLog Log => context.Log;

    /// <param name="machines">The cluster's Machines as stored now (the loop's fresh list), to pick the targets from.</param>
    public async Task<ReconcileResult> ReconcileAsync(string ns, string name, Cluster? cluster, IReadOnlyList<Machine> machines, CancellationToken ct)
    {
        var check = await Store.GetAsync<MachineHealthCheck>(ns, name, ct).ConfigureAwait(false);
        if (check is null || check.Metadata.DeletionTimestamp is not null) return ReconcileResult.Done;
        check.Metadata.Namespace ??= ns;
        // A cluster being deleted (or not there) has nothing to heal; the Cluster reconciler deletes its health checks.
        if (cluster is null || cluster.Metadata.DeletionTimestamp is not null || cluster.Name != check.Spec.ClusterName) return ReconcileResult.Done;

        var before = StatusCopy.Clone(check.Status ?? new MachineHealthCheckStatus());
        var status = StatusCopy.Clone(before);
        var now = context.Time.GetUtcNow();
        var pass = new Pass(this, check, status, now);
        var result = await pass.RunAsync(cluster, machines, ct).ConfigureAwait(false);
        status.ObservedGeneration = check.Metadata.Generation;
        if (!StatusCopy.Same(status, before))
        {
            check.Status = status;
            await StatusWrite.TryAsync(context, check, ct).ConfigureAwait(false);
        }
        return result;
    }

    /// <summary>One target's verdict.</summary>
    /// <param name="Failing">Healthy for now, but its Node has an unhealthy condition whose timeout has not run out.</param>
    /// <param name="Timeout">How long the failure had to last to make it unhealthy (none: unhealthy at once).</param>
    private sealed record Verdict(Machine Machine, bool Healthy, string Reason, string Message, TimeSpan? RecheckIn = null, string? ConfigurationFailure = null,
        bool Failing = false, TimeSpan? Timeout = null)
    {
        public override string ToString() => $"{Machine.Name} ({Reason})";
    }

    private sealed class Pass(MachineHealthCheckReconciler owner, MachineHealthCheck check, MachineHealthCheckStatus status, DateTimeOffset now)
    {
        private ClusterReconcileContext Context => owner.Context;
        private string Target => $"MachineHealthCheck {check.Metadata.Namespace}/{check.Name}";

        public async Task<ReconcileResult> RunAsync(Cluster cluster, IReadOnlyList<Machine> machines, CancellationToken ct)
        {
            var problems = HealthCheckRules.Problems(check.Spec);
            if (problems.Count > 0)
            {
                var message = string.Join(" ", problems) + " Fix it with Set-PacketMachineHealthCheck (or kubectl edit once pivoted).";
                if (Reason(Conditions.RemediationAllowed) != "InvalidSpec") owner.Log.Warning($"{Target}: {message}");
                SetCondition(Conditions.RemediationAllowed, false, "InvalidSpec", message);
                return ReconcileResult.Done;
            }

            var replacing = await ReplaceRemovedControlPlanesAsync(cluster, machines, ct).ConfigureAwait(false);

            var selector = check.Spec.Selector!.MatchLabels!;
            var targets = machines
                .Where(m => m.ClusterName == check.Spec.ClusterName && m.Metadata.DeletionTimestamp is null && ReplicaLabels.Matches(selector, m.Metadata.Labels))
                .OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
            status.Targets = targets.Select(m => m.Name).ToList();
            status.ExpectedMachines = targets.Count;
            if (targets.Count == 0)
            {
                status.CurrentHealthy = 0;
                status.RemediationsAllowed = 0;
                status.UnhealthyMachines = null;
                SetCondition(Conditions.RemediationAllowed, true, "NoTargets", $"No Machine of cluster '{check.Spec.ClusterName}' matches {ReplicaLabels.ToSelectorString(selector)}.");
                return ReconcileResult.RequeueAfter(RecheckInterval);
            }

            if (cluster.Status?.ApiEndpoints is not { Count: > 0 })
            {
                SetCondition(Conditions.RemediationAllowed, false, "NodesUnavailable", $"Cluster '{cluster.Name}' has no API endpoint yet; Node health is judged once it has.");
                return ReconcileResult.RequeueAfter(RecheckInterval);
            }
            IReadOnlyList<WorkloadNode> nodes;
            try
            {
                nodes = await Context.Nodes.NodesAsync(cluster.Metadata.Namespace ?? "default", cluster.Name, ct).ConfigureAwait(false);
            }
            catch (WorkloadClusterUnavailableException e)
            {
                // No Node list, no verdict: an API server outage must not read as every machine being unhealthy.
                var message = $"The Nodes of cluster '{cluster.Name}' cannot be read ({e.Reason}); no machine is judged or remediated until they can.";
                if (Reason(Conditions.RemediationAllowed) != "NodesUnavailable")
                    owner.Log.Warning($"{Target}: {message} Check the cluster's control plane (Get-PacketMachine -ClusterName {cluster.Name}).");
                SetCondition(Conditions.RemediationAllowed, false, "NodesUnavailable", message);
                return ReconcileResult.RequeueAfter(e.RetryAfter > TimeSpan.Zero && e.RetryAfter < RecheckInterval ? e.RetryAfter : RecheckInterval);
            }

            var verdicts = targets.Select(m => Judge(m, nodes)).ToList();
            var unhealthy = verdicts.Where(v => !v.Healthy).ToList();
            // The short-circuit counts the Nodes failing now, timed out or not: in a partition the node lifecycle controller
            // marks Nodes Unknown seconds apart (each after its own last heartbeat), and the first to time out must not be
            // replaced while the others are about to follow.
            var failing = verdicts.Where(v => v.Failing).ToList();
            status.CurrentHealthy = verdicts.Count - unhealthy.Count - failing.Count;
            status.UnhealthyMachines = unhealthy.Count > 0 ? unhealthy.Select(v => v.ToString()).ToList() : null;
            var allowed = HealthCheckRules.MaxUnhealthyOf(check.Spec.MaxUnhealthy, targets.Count)!.Value;
            status.RemediationsAllowed = Math.Max(0, allowed - unhealthy.Count - failing.Count);
            ForgetFixedConfigurations(verdicts);

            var result = ReconcileResult.RequeueAfter(RecheckInterval);
            foreach (var v in verdicts.Where(v => v.RecheckIn is not null))
                result = ReconcileResult.Combine(result, ReconcileResult.RequeueAfter(v.RecheckIn!.Value));

            if (unhealthy.Count + failing.Count > allowed)
            {
                var all = unhealthy.Concat(failing).OrderBy(v => v.Machine.Name, StringComparer.Ordinal).ToList();
                var message = $"{all.Count} of {targets.Count} machines are unhealthy ({string.Join(", ", all.Select(v => v.Machine.Name))}), more than maxUnhealthy {check.Spec.MaxUnhealthy ?? "100%"} " +
                    $"allows ({allowed}); nothing is remediated. So many at once usually share a cause that replacing machines would not fix: " +
                    "the network between them and the control plane, the cluster's API server, or an outage of the metro.";
                if (Reason(Conditions.RemediationAllowed) != "TooManyUnhealthy")
                {
                    owner.Log.Warning($"{Target}: {message} Check the metro's status and the machines' devices (Get-PacketDevice -ClusterName {cluster.Name}); " +
                        "remediation resumes by itself once enough are healthy again.");
                    await ObjectEvents.RecordAsync(owner.Store, check, "Warning", "RemediationShortCircuited", message, owner.Log, ct).ConfigureAwait(false);
                }
                SetCondition(Conditions.RemediationAllowed, false, "TooManyUnhealthy", message);
                foreach (var v in verdicts) await MarkAsync(v, v.Healthy ? null : "not remediated: too many machines are unhealthy at once", ct).ConfigureAwait(false);
                return result;
            }
            SetCondition(Conditions.RemediationAllowed, true, "WithinMaxUnhealthy", $"{unhealthy.Count} of {targets.Count} unhealthy; at most {allowed} may be.");
            // Since when remediation may run (a short-circuit or an unreadable Node list ended then, or the check is new).
            var allowedSince = status.Conditions!.First(c => c.Type == Conditions.RemediationAllowed).LastTransitionTime ?? now;

            foreach (var v in verdicts.Where(v => v.Healthy)) await MarkAsync(v, null, ct).ConfigureAwait(false);
            foreach (var v in unhealthy)
            {
                // After an outage the machines come back one by one: the last ones get a timeout of their own from when
                // remediation resumed, rather than being replaced the moment the others' recovery lifts the short-circuit.
                if (v.Timeout is { } timeout && now - allowedSince < timeout)
                {
                    await MarkAsync(v, $"not remediated before {allowedSince + timeout:u}: remediation resumed at {allowedSince:u} after an outage, and each machine gets one more timeout to recover", ct).ConfigureAwait(false);
                    result = ReconcileResult.Combine(result, ReconcileResult.RequeueAfter(allowedSince + timeout - now));
                    continue;
                }
                result = ReconcileResult.Combine(result, await RemediateAsync(v, cluster, machines, ct).ConfigureAwait(false));
            }
            return replacing ? ReconcileResult.Combine(result, ReconcileResult.RequeueAfter(RequeueIntervals.WaitForMachinesGone)) : result;
        }

        private Verdict Judge(Machine machine, IReadOnlyList<WorkloadNode> nodes)
        {
            if (!string.IsNullOrEmpty(machine.Status?.ErrorReason))
                return new Verdict(machine, false, "MachineFailed", $"Machine failed: {machine.Status!.ErrorReason}: {machine.Status.ErrorMessage}");
            var nodeRef = machine.Status?.NodeRef?.Name;
            var node = nodes.FirstOrDefault(n => nodeRef is not null ? n.Name == nodeRef
                : !string.IsNullOrEmpty(machine.Spec.ProviderID) && string.Equals(n.ProviderId, machine.Spec.ProviderID, StringComparison.Ordinal));
            if (node is null && nodeRef is not null)
                return new Verdict(machine, false, "NodeNotFound", $"Node {nodeRef} was linked to the machine and is gone from the cluster.");
            if (node is null)
            {
                var deviceReady = machine.Status?.Conditions?.FirstOrDefault(c => c.Type == Conditions.DeviceReady);
                if (deviceReady is not { Status: "True", LastTransitionTime: { } activeSince })
                    return new Verdict(machine, true, "Starting", "Its device is not active yet.");
                var startup = HealthCheckRules.NodeStartupTimeout(check.Spec);
                var waited = now - activeSince;
                var joinReason = machine.Status?.Conditions?.FirstOrDefault(c => c.Type == Conditions.NodeReady)?.Reason;
                var configuration = joinReason is not null && JoinDiagnostics.ConfigurationFailures.Contains(joinReason) ? joinReason : null;
                if (waited < startup)
                    return new Verdict(machine, true, "Starting", $"No Node yet; unhealthy at {activeSince + startup:u} (node startup timeout {check.Spec.NodeStartupTimeout}) unless one registers.",
                        startup - waited, configuration);
                return new Verdict(machine, false, "NodeStartupTimeout",
                    $"No Node since its device became active at {activeSince:u}, longer than the node startup timeout {HealthCheckRules.FormatDuration(startup)}" +
                    (configuration is null ? "." : $": it cannot join ({configuration})."), null, configuration, Timeout: startup);
            }

            TimeSpan? soonest = null;
            string? pending = null;
            var deviceActiveSince = machine.Status?.Conditions?.FirstOrDefault(c => c.Type == Conditions.DeviceReady && c.Status == "True")?.LastTransitionTime;
            foreach (var wanted in check.Spec.UnhealthyConditions!)
            {
                var actual = node.Conditions?.FirstOrDefault(c => c.Type == wanted.Type);
                if (actual is null || actual.Status != wanted.Status) continue;
                if (deviceActiveSince is { } back && back > (actual.LastTransitionTime ?? now))
                {
                    // Its device went away and is active again (powered back on): its kubelet is starting, so it gets the
                    // node startup timeout from then, as a new machine would, before its old Node condition counts.
                    var startup = HealthCheckRules.NodeStartupTimeout(check.Spec);
                    if (now - back < startup)
                        return new Verdict(machine, true, "Starting",
                            $"Its device is active again since {back:u}; unhealthy at {back + startup:u} (node startup timeout) unless Node {node.Name} recovers.",
                            back + startup - now, Failing: true);
                }
                var timeout = HealthCheckRules.ParseDuration(wanted.Timeout)!.Value;
                var held = now - (actual.LastTransitionTime ?? now);
                if (held >= timeout)
                    return new Verdict(machine, false, "UnhealthyNode",
                        $"Node {node.Name} has been {wanted.Type}={wanted.Status} since {actual.LastTransitionTime ?? now:u}, longer than {wanted.Timeout}.", Timeout: timeout);
                var left = timeout - held;
                if (soonest is null || left < soonest)
                {
                    soonest = left;
                    pending = $"Node {node.Name} is {wanted.Type}={wanted.Status} since {actual.LastTransitionTime ?? now:u}; unhealthy at {now + left:u} (timeout {wanted.Timeout}) unless it recovers.";
                }
            }
            return soonest is null
                ? new Verdict(machine, true, "Healthy", $"Node {node.Name} is healthy.")
                : new Verdict(machine, true, "Healthy", pending!, soonest, Failing: true);
        }

        private async Task<ReconcileResult> RemediateAsync(Verdict verdict, Cluster cluster, IReadOnlyList<Machine> machines, CancellationToken ct)
        {
            var machine = verdict.Machine;
            if (machine.IsControlPlane) return await RemediateControlPlaneAsync(verdict, cluster, machines, ct).ConfigureAwait(false);
            var set = ReplicaOwnership.ControllerOf(machine) is { Kind: "MachineSet" } reference ? reference : null;
            if (set is null)
            {
                await MarkAsync(verdict, "not remediated: no MachineSet owns it, so nothing would make a replacement; replace it with Remove-PacketMachine and Add-PacketMachine", ct).ConfigureAwait(false);
                return ReconcileResult.Done;
            }

            if (verdict.ConfigurationFailure is { } failure)
            {
                var backoff = BackoffOf(set.Name!);
                if (backoff.NotBefore is { } notBefore && now < notBefore)
                {
                    var waiting = $"not replaced before {notBefore:u}: it cannot join because of its configuration ({failure}), and a replacement from the same template " +
                        $"would most likely fail the same way ({backoff.Replacements} replaced so far; each further one waits twice as long). Fix the template or the cluster, then remove the machine (Remove-PacketMachine)";
                    if (machine.Status?.Conditions?.FirstOrDefault(c => c.Type == Conditions.HealthCheckSucceeded)?.Reason != "ConfigurationFailure")
                        owner.Log.Warning($"Machine {machine.Name}: {waiting}.");
                    await MarkAsync(verdict with { Reason = "ConfigurationFailure" }, waiting, ct).ConfigureAwait(false);
                    return ReconcileResult.RequeueAfter(notBefore - now < RecheckInterval ? notBefore - now : RecheckInterval);
                }
                backoff.Reason = failure;
                backoff.Replacements++;
                var startup = HealthCheckRules.NodeStartupTimeout(check.Spec);
                var wait = TimeSpan.FromTicks(Math.Min(startup.Ticks << Math.Min(backoff.Replacements, 20), MaxConfigurationBackoff.Ticks));
                backoff.NotBefore = now + wait;
            }

            var message = $"{verdict.Message} Deleted so MachineSet {set.Name} makes a replacement.";
            await MarkAsync(verdict with { Reason = "Remediating" }, null, ct, overrideMessage: message).ConfigureAwait(false);
            await owner.Store.DeleteAsync<Machine>(machine.Metadata.Namespace ?? "default", machine.Name, ct).ConfigureAwait(false);
            status.Remediations = (status.Remediations ?? 0) + 1;
            owner.Log.Warning($"Machine {machine.Name} is unhealthy ({verdict.Reason}): {message}");
            await ObjectEvents.RecordAsync(owner.Store, machine, "Warning", "MachineRemediated", message, owner.Log, ct).ConfigureAwait(false);
            await ObjectEvents.RecordAsync(owner.Store, check, "Normal", "MachineRemediated", $"Machine {machine.Name}: {message}", owner.Log, ct).ConfigureAwait(false);
            // Soon again: the set makes the replacement on the next pass, and the count of healthy machines has changed.
            return ReconcileResult.RequeueAfter(RequeueIntervals.WaitForNode);
        }

        /// <summary>
        /// A control plane is replaced only in a highly available control plane (3 or more), one at a time, and only while
        /// etcd keeps its quorum after the member leaves (asked of the members themselves, as Remove-PacketMachine does).
        /// It is deleted first — the Machine reconciler hands the elastic IP over and removes the etcd member — and the
        /// replacement is made once it is gone: a new member added while the dead one still counts would need a quorum of
        /// a larger cluster that has no more healthy members.
        /// </summary>
        private async Task<ReconcileResult> RemediateControlPlaneAsync(Verdict verdict, Cluster cluster, IReadOnlyList<Machine> machines, CancellationToken ct)
        {
            var machine = verdict.Machine;
            var controlPlanes = machines.Where(m => m.IsControlPlane).ToList();
            var standing = controlPlanes.Where(m => m.Metadata.DeletionTimestamp is null).ToList();
            if (standing.Count < 3)
            {
                await MarkAsync(verdict, $"not remediated: a cluster with {standing.Count} control plane(s) has no etcd quorum to spare; health checks replace control planes only when there are 3 or more (Set-PacketControlPlane -Replicas 3)", ct).ConfigureAwait(false);
                return ReconcileResult.Done;
            }
            if (controlPlanes.Count != standing.Count || status.ControlPlaneReplacements is { Count: > 0 })
            {
                await MarkAsync(verdict, "not remediated yet: another control plane is being replaced; one at a time", ct).ConfigureAwait(false);
                return ReconcileResult.RequeueAfter(RequeueIntervals.WaitForMachinesGone);
            }
            var ns = cluster.Metadata.Namespace ?? "default";
            var hosts = standing.Select(m => MachineAddresses.ExternalIpv4(m.Status)).OfType<string>().ToList();
            string? refusal = null;
            try
            {
                using var etcd = await ControlPlane.EtcdCluster.OpenAsync(owner.Store, ns, cluster.Name, hosts, ct).ConfigureAwait(false);
                if (etcd is null) refusal = "the cluster's etcd CA is not in its state";
                else
                {
                    var members = await etcd.MembersAsync(ct).ConfigureAwait(false);
                    var healthy = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var member in members)
                        if (await etcd.IsHealthyAsync(member, ct).ConfigureAwait(false)) healthy.Add(member.Id);
                    if (ControlPlane.EtcdQuorum.WouldLose(members, healthy, MachineAddresses.ExternalIpv4(machine.Status), machine.Name))
                        refusal = $"removing it would lose etcd quorum ({healthy.Count} of {members.Count} members healthy; the {members.Count - 1} left would need {ControlPlane.EtcdQuorum.Of(members.Count - 1)})";
                }
            }
            catch (ControlPlane.EtcdUnavailableException e)
            {
                refusal = $"etcd cannot be asked who is healthy ({e.Message})";
            }
            if (refusal is not null)
            {
                if (machine.Status?.Conditions?.FirstOrDefault(c => c.Type == Conditions.HealthCheckSucceeded)?.Message?.Contains(refusal, StringComparison.Ordinal) != true)
                    owner.Log.Warning($"Control plane {machine.Name} is unhealthy ({verdict.Reason}) but is not replaced: {refusal}. Power the stopped control planes back on.");
                await MarkAsync(verdict, $"not remediated: {refusal}", ct).ConfigureAwait(false);
                return ReconcileResult.RequeueAfter(RecheckInterval);
            }

            var replacement = Operations.MachineOperations.NextControlPlaneNames(cluster.Name, machines, 1)[0];
            // Recorded before the delete: a pass that dies in between still makes the replacement, and only one.
            (status.ControlPlaneReplacements ??= []).Add(new ControlPlaneReplacement { Removed = machine.Name, Replacement = replacement });
            check.Status = status;
            if (await StatusWrite.TryAsync(Context, check, ct).ConfigureAwait(false) is not { } stored)
                return ReconcileResult.RequeueAfter(RequeueIntervals.StoreConflict);
            check.Metadata = stored.Metadata;
            var message = $"{verdict.Message} Deleted (its etcd member leaves first, quorum kept); {replacement} replaces it once it is gone.";
            await MarkAsync(verdict with { Reason = "Remediating" }, null, ct, overrideMessage: message).ConfigureAwait(false);
            await owner.Store.DeleteAsync<Machine>(machine.Metadata.Namespace ?? "default", machine.Name, ct).ConfigureAwait(false);
            status.Remediations = (status.Remediations ?? 0) + 1;
            owner.Log.Warning($"Control plane {machine.Name} is unhealthy ({verdict.Reason}): {message}");
            await ObjectEvents.RecordAsync(owner.Store, machine, "Warning", "MachineRemediated", message, owner.Log, ct).ConfigureAwait(false);
            await ObjectEvents.RecordAsync(owner.Store, check, "Normal", "MachineRemediated", $"Machine {machine.Name}: {message}", owner.Log, ct).ConfigureAwait(false);
            return ReconcileResult.RequeueAfter(RequeueIntervals.WaitForMachinesGone);
        }

        /// <summary>Makes the replacement of each removed control plane that is gone; true while one is still on its way out.</summary>
        private async Task<bool> ReplaceRemovedControlPlanesAsync(Cluster cluster, IReadOnlyList<Machine> machines, CancellationToken ct)
        {
            if (status.ControlPlaneReplacements is not { Count: > 0 } pending) return false;
            var waiting = false;
            foreach (var entry in pending.ToList())
            {
                if (machines.Any(m => m.Name == entry.Removed)) { waiting = true; continue; }
                if (machines.All(m => m.Name != entry.Replacement))
                {
                    var template = FirstControlPlane.Of(machines);
                    if (template is null) { waiting = true; continue; }
                    var replacement = new Machine
                    {
                        Metadata = new ObjectMeta
                        {
                            Name = entry.Replacement, Namespace = cluster.Metadata.Namespace ?? "default",
                            Labels = template.Metadata.Labels is { } labels ? new Dictionary<string, string>(labels) : null,
                        },
                        // A deep copy without the template's device: same plan, OS, location, keys and versions.
                        Spec = ResourceCodec.FromJson<MachineSpec>(ResourceCodec.ToJson(template.Spec)),
                    };
                    replacement.Spec.ProviderID = null;
                    try
                    {
                        await owner.Store.CreateAsync(replacement, ct).ConfigureAwait(false);
                        owner.Log.Warning($"Control plane {entry.Replacement} replaces {entry.Removed}, which a health check removed.");
                    }
                    catch (StoreConflictException e) when (e.ErrorId == StoreConflictException.ExistsErrorId)
                    {
                    }
                }
                pending.Remove(entry);
            }
            if (pending.Count == 0) status.ControlPlaneReplacements = null;
            return waiting;
        }

        private ConfigurationFailureBackoff BackoffOf(string set)
        {
            var list = status.ConfigurationFailures ??= [];
            var entry = list.FirstOrDefault(b => b.Owner == set);
            if (entry is null)
            {
                // The first one waits a startup timeout more than an ordinary unhealthy machine would, already backing off.
                entry = new ConfigurationFailureBackoff { Owner = set, NotBefore = now + HealthCheckRules.NodeStartupTimeout(check.Spec) };
                list.Add(entry);
            }
            return entry;
        }

        /// <summary>A set one of whose machines joined with a Node and none fails by configuration: its template works, the backoff ends.</summary>
        private void ForgetFixedConfigurations(IReadOnlyList<Verdict> verdicts)
        {
            if (status.ConfigurationFailures is not { Count: > 0 } list) return;
            foreach (var entry in list.ToList())
            {
                var ofSet = verdicts.Where(v => ReplicaOwnership.ControllerOf(v.Machine)?.Name == entry.Owner).ToList();
                if (ofSet.Any(v => v.Healthy && v.Machine.Status?.NodeRef is not null) && ofSet.All(v => v.ConfigurationFailure is null))
                    list.Remove(entry);
            }
            if (list.Count == 0) status.ConfigurationFailures = null;
        }

        /// <summary>The Machine's HealthCheckSucceeded condition, written only when it changed.</summary>
        private async Task MarkAsync(Verdict verdict, string? notRemediated, CancellationToken ct, string? overrideMessage = null)
        {
            var machine = verdict.Machine;
            var message = overrideMessage ?? (notRemediated is null ? verdict.Message : $"{verdict.Message} {char.ToUpperInvariant(notRemediated[0])}{notRemediated[1..]}.");
            var conditions = machine.Status?.Conditions is { } existing ? existing.Select(c => StatusCopy.Clone(c)).ToList() : null;
            Conditions.Set(ref conditions, Conditions.HealthCheckSucceeded, verdict.Healthy, verdict.Reason, message, now);
            var mine = conditions!.First(c => c.Type == Conditions.HealthCheckSucceeded);
            var old = machine.Status?.Conditions?.FirstOrDefault(c => c.Type == Conditions.HealthCheckSucceeded);
            // Messages name times, never countdowns: an unchanged verdict is no write (each write wakes the manager for a pass).
            if (old is not null && old.Status == mine.Status && old.Reason == mine.Reason && old.Message == mine.Message) return;
            machine.Status ??= new MachineStatus();
            machine.Status.Conditions = conditions;
            if (await StatusWrite.TryAsync(Context, machine, ct).ConfigureAwait(false) is { } stored) machine.Metadata = stored.Metadata;
        }

        private string? Reason(string type) => status.Conditions?.FirstOrDefault(c => c.Type == type)?.Reason;

        private void SetCondition(string type, bool value, string reason, string message)
        {
            var conditions = status.Conditions;
            Conditions.Set(ref conditions, type, value, reason, message, now);
            status.Conditions = conditions;
        }
    }
}
