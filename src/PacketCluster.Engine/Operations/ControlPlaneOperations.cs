using PacketCluster.Engine.Api;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Operations;

/// <summary>What Set-PacketControlPlane asks for; null leaves that part as it is.</summary>
public sealed record ControlPlaneChange(int? Replicas, string? Plan, string? OperatingSystem, string? KubernetesVersion)
{
    public bool ChangesMachines => Plan is not null || OperatingSystem is not null || KubernetesVersion is not null;
}

/// <summary>
/// The control planes as one group, the way Cluster API's KubeadmControlPlane handles them: scaled one machine at a
/// time and rolled by surge (a new control plane joins and its etcd member is healthy before an old one leaves etcd and
/// goes), so etcd never has fewer healthy members than before and quorum is checked before every removal.
/// There is no separate object holding the wanted state: the Machines are it. A rollout that stops half way (timeout,
/// Ctrl+C, a refused removal) is continued by running the same command again, because every step looks at which
/// machines still differ from what was asked.
/// </summary>
public static class ControlPlaneOperations
{
    private const string Activity = "PacketCluster control plane";

    /// <summary>Applies <paramref name="change"/>; returns the control planes afterwards.</summary>
    public static async Task<IReadOnlyList<Machine>> SetAsync(string stateRoot, string clusterName, ControlPlaneChange change,
        PacketSession session, IEngineLog log, ChangeWait wait, CancellationToken ct)
    {
        if (change.Replicas is < 1)
            throw new PacketClusterException("InvalidReplicas", ErrorKind.InvalidArgument,
                "A cluster needs at least one control plane; remove the whole cluster with Remove-PacketCluster.",
                "Give -Replicas 1 or more, or remove the cluster with Remove-PacketCluster.", clusterName);
        if (change.Replicas is null && !change.ChangesMachines)
            throw new PacketClusterException("NothingToChange", ErrorKind.InvalidArgument, "Give -Replicas, -Plan, -OperatingSystem or -KubernetesVersion.", "Give at least one of -Replicas, -Plan, -OperatingSystem or -KubernetesVersion.", clusterName);

        var current = await ControlPlanesAsync(stateRoot, clusterName, ct).ConfigureAwait(false);
        var first = FirstControlPlane.Of(current)
            ?? throw new PacketClusterException("NoControlPlane", ErrorKind.InvalidOperation, $"Cluster '{clusterName}' has no control plane.", "Run New-PacketCluster again to finish creating the cluster, or remove it with Remove-PacketCluster.", clusterName);
        var wanted = Wanted(first.Spec, change);
        await CheckWantedAsync(clusterName, wanted, current, session, log, ct).ConfigureAwait(false);
        var replicas = change.Replicas ?? current.Count;
        if (replicas % 2 == 0 && replicas != current.Count)
            log.Warning($"Cluster '{clusterName}' will have {replicas} control planes. etcd needs a majority of its members, so an even count " +
                $"tolerates no more failures than {replicas - 1} would; prefer an odd number of control planes.");

        // Roll first (surge one, then remove one old), so capacity and quorum never drop below today's.
        var outdated = current.Where(m => !Matches(m.Spec, wanted)).ToList();
        var step = 0;
        foreach (var old in OrderForRemoval(outdated, await EndpointHostAsync(stateRoot, clusterName, ct).ConfigureAwait(false)))
        {
            step++;
            log.Report(new EngineProgress(Activity, $"Rolling control planes ({step} of {outdated.Count})", $"replacing {old.Name}", PercentComplete: 100 * (step - 1) / outdated.Count));
            await ThroughEtcdElectionsAsync(async () =>
            {
                // Decided from a fresh read every time, so a step repeated after an ambiguous answer, or a rollout
                // continued after an interruption, neither adds a second surge machine nor removes twice.
                var running = await ControlPlanesAsync(stateRoot, clusterName, ct).ConfigureAwait(false);
                if (running.All(m => m.Name != old.Name)) return;
                if (running.Count <= replicas && running.Count(m => Matches(m.Spec, wanted)) < replicas)
                    await MachineOperations.AddControlPlanesAsync(stateRoot, clusterName, 1, wanted, session, log, wait with { Wait = true }, requireHealthyEtcd: true, ct).ConfigureAwait(false);
                log.Verbose($"Control plane {old.Name}: its replacement's etcd member is healthy; {old.Name} leaves etcd and its device goes.");
                await MachineOperations.RemoveMachineAsync(stateRoot, clusterName, old.Name, session, log, wait with { Wait = true }, ct).ConfigureAwait(false);
            }, log, ct).ConfigureAwait(false);
        }

        // Then scale, one machine at a time when shrinking (each removal checks quorum on its own).
        current = await ControlPlanesAsync(stateRoot, clusterName, ct).ConfigureAwait(false);
        if (replicas > current.Count)
        {
            log.Report(new EngineProgress(Activity, "Scaling control planes", $"{current.Count} → {replicas}"));
            await MachineOperations.AddControlPlanesAsync(stateRoot, clusterName, replicas - current.Count, wanted, session, log, wait, requireHealthyEtcd: true, ct).ConfigureAwait(false);
        }
        else if (replicas < current.Count)
        {
            var endpoint = await EndpointHostAsync(stateRoot, clusterName, ct).ConfigureAwait(false);
            var extra = OrderForRemoval(current, endpoint).Take(current.Count - replicas).ToList();
            foreach (var machine in extra)
            {
                log.Report(new EngineProgress(Activity, "Scaling control planes", $"removing {machine.Name}"));
                await ThroughEtcdElectionsAsync(async () =>
                {
                    if ((await ControlPlanesAsync(stateRoot, clusterName, ct).ConfigureAwait(false)).All(m => m.Name != machine.Name)) return;
                    await MachineOperations.RemoveMachineAsync(stateRoot, clusterName, machine.Name, session, log, wait with { Wait = true }, ct).ConfigureAwait(false);
                }, log, ct).ConfigureAwait(false);
            }
        }
        log.Report(new EngineProgress(Activity, "Done", $"{replicas} control plane(s)", PercentComplete: 100));
        return await ControlPlanesAsync(stateRoot, clusterName, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Removing a control plane removes an etcd member, and when that was etcd's leader the API server answers 500
    /// ("etcdserver: leader changed") for a second or two to writes that may or may not have been applied. A step is
    /// therefore written to be repeated (it reads what is there first) and is repeated, a bounded number of times.
    /// </summary>
    private static async Task ThroughEtcdElectionsAsync(Func<Task> step, IEngineLog log, CancellationToken ct)
    {
        const int attempts = 5;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await step().ConfigureAwait(false);
                return;
            }
            catch (k8s.Autorest.HttpOperationException e) when (attempt < attempts && (int?)e.Response?.StatusCode is 500 or 503 or 504)
            {
                log.Verbose($"The cluster's API server answered {(int?)e.Response?.StatusCode} ({e.Message}); the step is repeated (attempt {attempt + 1} of {attempts}).");
                await Task.Delay(TimeSpan.FromSeconds(2), ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The first control plane's spec with the asked changes: what every control plane should become.</summary>
    internal static MachineSpec Wanted(MachineSpec template, ControlPlaneChange change)
    {
        var spec = ResourceCodec.FromJson<MachineSpec>(ResourceCodec.ToJson(template));
        spec.ProviderID = null;
        var value = spec.ProviderSpec?.Value ?? throw new PacketClusterException("NoProviderSpec", ErrorKind.InvalidData, "The control plane has no providerSpec to copy.", "Run New-PacketCluster again to finish creating the cluster, or remove and recreate it.", null);
        if (change.Plan is { } plan) value.MachineType = plan;
        if (change.OperatingSystem is { } os) value.OS = os;
        if (change.KubernetesVersion is { } version) spec.Versions = new MachineVersionInfo { ControlPlane = version, Kubelet = version };
        return spec;
    }

    /// <summary>Plan, OS and versions decide; other providerSpec fields follow the first control plane anyway.</summary>
    internal static bool Matches(MachineSpec spec, MachineSpec wanted) =>
        string.Equals(spec.ProviderSpec?.Value?.MachineType, wanted.ProviderSpec?.Value?.MachineType, StringComparison.OrdinalIgnoreCase)
        && string.Equals(spec.ProviderSpec?.Value?.OS, wanted.ProviderSpec?.Value?.OS, StringComparison.OrdinalIgnoreCase)
        && spec.Versions?.ControlPlane == wanted.Versions?.ControlPlane
        && spec.Versions?.Kubelet == wanted.Versions?.Kubelet;

    /// <summary>
    /// Which control planes go first: never the elastic IP's holder while another will do (a move costs the endpoint a
    /// few seconds), then the newest (the oldest has proven itself), the name breaking a tie.
    /// </summary>
    internal static IEnumerable<Machine> OrderForRemoval(IEnumerable<Machine> machines, string? endpointHost) =>
        machines.OrderBy(m => endpointHost is not null && (m.Status?.ProviderStatus?.IpAddresses?.Contains(endpointHost) ?? false))
            .ThenByDescending(m => m.Metadata.CreationTimestamp)
            .ThenByDescending(m => m.Name, StringComparer.Ordinal);

    private static async Task CheckWantedAsync(string clusterName, MachineSpec wanted, IReadOnlyList<Machine> current, PacketSession session, IEngineLog log, CancellationToken ct)
    {
        var value = wanted.ProviderSpec!.Value!;
        var version = wanted.Versions?.ControlPlane ?? string.Empty;
        // The userdata must render before anything is created: a missing machine config would stall the rollout half way.
        var config = MachineConfigCatalogue.LoadShipped().Find(value.OS ?? string.Empty, wanted.Versions?.Kubelet ?? version, version);
        UserdataRenderer.CheckRenderable(config, MachineRole.JoiningControlPlane);
        if (current.All(m => Matches(m.Spec, wanted))) return;

        var plans = await session.PlansAsync(log, ct).ConfigureAwait(false);
        var plan = plans.FirstOrDefault(p => string.Equals(p.Slug, value.MachineType, StringComparison.OrdinalIgnoreCase))
            ?? throw new PacketClusterException("UnknownPlan", ErrorKind.InvalidArgument,
                $"Plan '{value.MachineType}' does not exist. Run Get-PacketPlan to list plans. Nothing was changed.",
                "Run Get-PacketPlan to list plans and pass one of them to -Plan.", value.MachineType);
        if (value.Metro is { Length: > 0 } metro && !plan.IsAvailableInMetro(metro))
            throw new PacketClusterException("PlanNotAvailable", ErrorKind.InvalidArgument,
                $"Plan '{plan.Slug}' is not offered in metro {metro}. Run Get-PacketPlan -Metro {metro}. Nothing was changed.",
                "Run Get-PacketPlan -Metro with the cluster's metro and pass a plan it lists.", plan.Slug);
        var systems = await session.OperatingSystemsAsync(log, ct).ConfigureAwait(false);
        var os = systems.FirstOrDefault(o => string.Equals(o.Slug, value.OS, StringComparison.OrdinalIgnoreCase))
            ?? throw new PacketClusterException("UnknownOperatingSystem", ErrorKind.InvalidArgument,
                $"Operating system '{value.OS}' does not exist. Run Get-PacketOperatingSystem. Nothing was changed.",
                "Run Get-PacketOperatingSystem and pass one of its slugs to -OperatingSystem.", value.OS);
        if (os.ProvisionableOn.Count > 0 && !os.ProvisionableOn.Contains(plan.Slug!, StringComparer.OrdinalIgnoreCase))
            throw new PacketClusterException("OperatingSystemNotSupported", ErrorKind.InvalidArgument,
                $"'{os.Slug}' does not install on plan '{plan.Slug}'. Nothing was changed.",
                "Choose another -OperatingSystem or -Plan; Get-PacketOperatingSystem shows which plans each one installs on.", os.Slug);
        log.Verbose($"Cluster '{clusterName}': control planes roll to {value.MachineType}, {value.OS}, Kubernetes {version}.");
    }

    private static async Task<List<Machine>> ControlPlanesAsync(string stateRoot, string clusterName, CancellationToken ct)
    {
        await using var store = ClusterQueries.OpenExisting(stateRoot, clusterName);
        return (await MachineOperations.MachinesAsync(store, clusterName, ct).ConfigureAwait(false)).Where(m => m.IsControlPlane && m.Metadata.DeletionTimestamp is null).ToList();
    }

    private static async Task<string?> EndpointHostAsync(string stateRoot, string clusterName, CancellationToken ct)
    {
        await using var store = ClusterQueries.OpenExisting(stateRoot, clusterName);
        var cluster = await store.GetAsync<Cluster>(ClusterOperations.DefaultNamespace, clusterName, ct).ConfigureAwait(false);
        return cluster?.Status?.ApiEndpoints?.FirstOrDefault()?.Host;
    }
}
