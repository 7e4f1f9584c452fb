using System.Globalization;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Operations;

/// <summary>Which machines a new health check watches.</summary>
public enum HealthCheckTarget
{
    /// <summary>Every worker of the cluster (label set=node), whatever its pool.</summary>
    Workers,

    /// <summary>The workers of one node pool (its MachineDeployment's pool label).</summary>
    Pool,

    /// <summary>The control planes (label set=master): replaced only in an HA control plane while etcd keeps its quorum.</summary>
    ControlPlanes,
}

/// <summary>What New-PacketMachineHealthCheck and Set-PacketMachineHealthCheck ask for; null leaves a setting as it is (Set) or at its default (New).</summary>
public sealed record HealthCheckSettings
{
    /// <summary>Node conditions as Type=Status (Ready=Unknown); each gets <see cref="UnhealthyTimeout"/>.</summary>
    public IReadOnlyList<string>? UnhealthyConditions { get; init; }
    public string? UnhealthyTimeout { get; init; }
    public string? NodeStartupTimeout { get; init; }
    public string? MaxUnhealthy { get; init; }

    public bool IsEmpty => UnhealthyConditions is null && UnhealthyTimeout is null && NodeStartupTimeout is null && MaxUnhealthy is null;
}

/// <summary>
/// Get, New, Set and Remove of a cluster's MachineHealthChecks, wherever its objects live (its state folder, or the
/// cluster it was pivoted into, where its manager acts on them). Each checks its input before anything is written.
/// </summary>
public static class MachineHealthCheckOperations
{
    private static string Ns => ClusterOperations.DefaultNamespace;

    /// <summary>The cluster's health checks, by name.</summary>
    public static Task<IReadOnlyList<MachineHealthCheck>> ListAsync(string stateRoot, string clusterName, CancellationToken ct) =>
        ClusterQueries.ReadAsync(stateRoot, clusterName, store => ListAsync(store, clusterName, ct));

    internal static async Task<IReadOnlyList<MachineHealthCheck>> ListAsync(IStateStore store, string clusterName, CancellationToken ct) =>
        (await store.ListAsync<MachineHealthCheck>(Ns, null, ct).ConfigureAwait(false))
        .Where(h => h.Spec.ClusterName == clusterName).OrderBy(h => h.Name, StringComparer.Ordinal).ToList();

    /// <summary>Builds the health check New-PacketMachineHealthCheck would write, checking everything (-WhatIf shows it).</summary>
    public static async Task<MachineHealthCheck> PlanAsync(string stateRoot, string clusterName, string? name, HealthCheckTarget target, string? pool,
        HealthCheckSettings settings, CancellationToken ct)
    {
        await using var store = MachineOperations.Open(stateRoot, clusterName);
        return await PlanAsync(store, clusterName, name, target, pool, settings, ct).ConfigureAwait(false);
    }

    public static async Task<MachineHealthCheck> CreateAsync(string stateRoot, string clusterName, string? name, HealthCheckTarget target, string? pool,
        HealthCheckSettings settings, IEngineLog log, CancellationToken ct)
    {
        await using var store = MachineOperations.Open(stateRoot, clusterName);
        var check = await PlanAsync(store, clusterName, name, target, pool, settings, ct).ConfigureAwait(false);
        try
        {
            check = await store.CreateAsync(check, ct).ConfigureAwait(false);
        }
        catch (StoreConflictException e) when (e.ErrorId == StoreConflictException.ExistsErrorId)
        {
            throw Exists(clusterName, check.Name);
        }
        log.Verbose($"MachineHealthCheck {check.Name}: {check.Spec}.");
        if (target == HealthCheckTarget.ControlPlanes && (await MachineOperations.MachinesAsync(store, clusterName, ct).ConfigureAwait(false)).Count(m => m.IsControlPlane) < 3)
            log.Warning($"Cluster '{clusterName}' has fewer than 3 control planes: {check.Name} reports an unhealthy one (Get-PacketMachine's Health column) but cannot replace it without losing etcd's quorum. Set-PacketControlPlane -Replicas 3 makes the control plane highly available.");
        return check;
    }

    /// <summary>Changes the given settings of an existing health check; returns it as stored.</summary>
    public static async Task<MachineHealthCheck> SetAsync(string stateRoot, string clusterName, string name, HealthCheckSettings settings, IEngineLog log, CancellationToken ct)
    {
        if (settings.IsEmpty)
            throw new PacketClusterException("NothingToChange", ErrorKind.InvalidArgument,
                "Give -MaxUnhealthy, -UnhealthyTimeout, -UnhealthyCondition or -NodeStartupTimeout.",
                "Give at least one of -MaxUnhealthy, -UnhealthyTimeout, -UnhealthyCondition or -NodeStartupTimeout.", name);
        await using var store = MachineOperations.Open(stateRoot, clusterName);
        for (var attempt = 1; ; attempt++)
        {
            var check = Find(await ListAsync(store, clusterName, ct).ConfigureAwait(false), clusterName, name);
            Apply(check.Spec, settings);
            Check(check.Spec, check.Name);
            try
            {
                var stored = await store.UpdateAsync(check, ct).ConfigureAwait(false);
                log.Verbose($"MachineHealthCheck {stored.Name}: {stored.Spec}.");
                return stored;
            }
            catch (StoreConflictException) when (attempt < 5)
            {
                // Its status was written meanwhile (the manager's pass): read it again and apply the same change.
            }
        }
    }

    public static async Task RemoveAsync(string stateRoot, string clusterName, string name, IEngineLog log, CancellationToken ct)
    {
        await using var store = MachineOperations.Open(stateRoot, clusterName);
        var check = Find(await ListAsync(store, clusterName, ct).ConfigureAwait(false), clusterName, name);
        await store.DeleteAsync<MachineHealthCheck>(Ns, check.Name, ct).ConfigureAwait(false);
        log.Verbose($"MachineHealthCheck {check.Name} removed: its machines are no longer judged or replaced by it.");
    }

    /// <summary>The health check called <paramref name="name"/> or <c>&lt;cluster&gt;-&lt;name&gt;</c>.</summary>
    public static MachineHealthCheck Find(IReadOnlyList<MachineHealthCheck> all, string clusterName, string name) =>
        all.FirstOrDefault(h => h.Name == name) ?? all.FirstOrDefault(h => h.Name == MachineDeploymentOperations.FullName(clusterName, name))
        ?? throw new PacketClusterException("MachineHealthCheckNotFound", ErrorKind.ObjectNotFound,
            $"Cluster '{clusterName}' has no MachineHealthCheck '{name}'" + (all.Count == 0 ? " (it has none)." : $"; it has {string.Join(", ", all.Select(h => h.Name))}."),
            $"Get-PacketMachineHealthCheck -ClusterName {clusterName} lists the cluster's health checks.", name);

    private static async Task<MachineHealthCheck> PlanAsync(IStateStore store, string clusterName, string? name, HealthCheckTarget target, string? pool,
        HealthCheckSettings settings, CancellationToken ct)
    {
        var cluster = await store.GetAsync<Cluster>(Ns, clusterName, ct).ConfigureAwait(false)
            ?? throw new PacketClusterException("ClusterNotFound", ErrorKind.ObjectNotFound, $"No cluster '{clusterName}'.",
                "Run Get-PacketCluster to list the clusters.", clusterName);
        if (cluster.Metadata.DeletionTimestamp is not null)
            throw new PacketClusterException("ClusterDeleting", ErrorKind.InvalidOperation, $"Cluster '{clusterName}' is being deleted.",
                "Wait for Remove-PacketCluster to finish; a cluster being deleted gets no new health checks.", clusterName);

        var selector = target switch
        {
            HealthCheckTarget.ControlPlanes => HealthCheckRules.ControlPlaneSelector(clusterName),
            HealthCheckTarget.Pool => PoolSelector(await MachineDeploymentOperations.ListAsync(store, clusterName, ct).ConfigureAwait(false), clusterName, pool!),
            _ => HealthCheckRules.WorkerSelector(clusterName),
        };
        var fullName = MachineDeploymentOperations.FullName(clusterName, name ?? target switch
        {
            HealthCheckTarget.ControlPlanes => "control-plane",
            HealthCheckTarget.Pool => MachineDeploymentOperations.FullName(clusterName, pool!),
            _ => "workers",
        });
        ResourceNames.CheckName(fullName, "MachineHealthCheck");
        if (fullName.Length > 253) throw new PacketClusterException("InvalidResourceName", ErrorKind.InvalidArgument, $"'{fullName}' is longer than 253 characters.", "Give a shorter -Name.", fullName);
        if ((await ListAsync(store, clusterName, ct).ConfigureAwait(false)).Any(h => h.Name == fullName)) throw Exists(clusterName, fullName);

        var check = HealthCheckRules.New(clusterName, fullName, Ns, selector, HealthCheckRules.DefaultConditionTimeout, HealthCheckRules.DefaultNodeStartupTimeout,
            HealthCheckRules.DefaultMaxUnhealthy);
        Apply(check.Spec, settings);
        Check(check.Spec, fullName);
        return check;
    }

    private static Dictionary<string, string> PoolSelector(IReadOnlyList<MachineDeployment> pools, string clusterName, string pool)
    {
        var deployment = MachineDeploymentOperations.Find(pools, clusterName, pool);
        return deployment.Spec.Selector?.MatchLabels is { Count: > 0 } labels ? new Dictionary<string, string>(labels)
            : throw new PacketClusterException("InvalidConfiguration", ErrorKind.InvalidOperation, $"MachineDeployment {deployment.Name} has no selector.",
                "Give it spec.selector.matchLabels, or check all workers with -Role Worker.", deployment.Name);
    }

    /// <summary>Durations given as Go durations (5m, 90s) or as TimeSpan text (00:05:00) are stored the Go way.</summary>
    private static void Apply(MachineHealthCheckSpec spec, HealthCheckSettings settings)
    {
        var timeout = settings.UnhealthyTimeout is { } t ? Duration(t, "-UnhealthyTimeout") : null;
        if (settings.UnhealthyConditions is { } conditions)
        {
            var oldTimeout = spec.UnhealthyConditions?.FirstOrDefault()?.Timeout;
            spec.UnhealthyConditions = conditions.Select(c => ParseCondition(c, timeout ?? oldTimeout ?? HealthCheckRules.FormatDuration(HealthCheckRules.DefaultConditionTimeout))).ToList();
        }
        else if (timeout is not null)
        {
            foreach (var condition in spec.UnhealthyConditions ?? []) condition.Timeout = timeout;
        }
        if (settings.NodeStartupTimeout is { } startup) spec.NodeStartupTimeout = Duration(startup, "-NodeStartupTimeout");
        if (settings.MaxUnhealthy is { } max) spec.MaxUnhealthy = max.Trim();
    }

    private static UnhealthyCondition ParseCondition(string text, string timeout)
    {
        var parts = text.Split('=', 2, StringSplitOptions.TrimEntries);
        var status = parts.Length == 2 ? HealthCheckRules.ConditionStatuses.FirstOrDefault(s => string.Equals(s, parts[1], StringComparison.OrdinalIgnoreCase)) : null;
        if (parts.Length != 2 || parts[0].Length == 0 || status is null)
            throw new PacketClusterException("InvalidUnhealthyCondition", ErrorKind.InvalidArgument,
                $"-UnhealthyCondition '{text}' is not Type=Status with a status of True, False or Unknown (for example Ready=Unknown, Ready=False, MemoryPressure=True).",
                "Give each condition as Type=Status, e.g. -UnhealthyCondition Ready=Unknown, Ready=False.", text);
        return new UnhealthyCondition { Type = parts[0], Status = status, Timeout = timeout };
    }

    private static string Duration(string text, string parameter)
    {
        if (HealthCheckRules.ParseDuration(text) is { } go) return HealthCheckRules.FormatDuration(go);
        if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span > TimeSpan.Zero) return HealthCheckRules.FormatDuration(span);
        throw new PacketClusterException("InvalidDuration", ErrorKind.InvalidArgument,
            $"{parameter} '{text}' is not a duration: write it as 90s, 5m or 1h30m (or 00:05:00).",
            $"Give {parameter} as a duration such as 90s, 5m or 1h30m.", text);
    }

    private static void Check(MachineHealthCheckSpec spec, string name)
    {
        var problems = HealthCheckRules.Problems(spec);
        if (problems.Count > 0)
            throw new PacketClusterException("InvalidMachineHealthCheck", ErrorKind.InvalidArgument,
                $"MachineHealthCheck '{name}' would not work: {string.Join(" ", problems)}",
                "Give -MaxUnhealthy as a count (2) or a percentage (40%), and timeouts between 1s and 7 days (90s, 5m, 1h).", name);
    }

    private static PacketClusterException Exists(string clusterName, string name) =>
        new("MachineHealthCheckExists", ErrorKind.ResourceExists, $"Cluster '{clusterName}' already has a MachineHealthCheck '{name}'.",
            $"Change it with Set-PacketMachineHealthCheck -ClusterName {clusterName} -Name {name}, or give another -Name.", name);
}
