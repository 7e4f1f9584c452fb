using PacketCluster.Engine.Api;
using PacketCluster.Engine.Metal;
using PacketCluster.Models;
using PacketCluster.Models.ClusterApi;
using Public = PacketCluster.Models.Metal;

namespace PacketCluster.Engine.Operations;

/// <summary>
/// Checks a cluster definition against the live catalogue before anything is created: locations, plans and operating
/// systems exist, the plan is offered where it is asked for, the OS installs on the plan, and there is capacity for
/// every device. All problems are reported together; the same plan feeds -WhatIf.
/// </summary>
public static class Preflight
{
    /// <summary>Checks and returns the plan of what creation would make; throws <see cref="ClusterConfigInvalidException"/> listing every problem.</summary>
    /// <param name="claim">
    /// What the cluster may call its own (<see cref="ClusterOperations.ClaimAsync"/>): the project must hold nothing
    /// else with its name (<c>ClusterNameInUse</c>). Null: not checked here (the caller checks under the state lock).
    /// </param>
    /// <param name="onlyDeployment">
    /// Node pools (New-PacketMachineDeployment): only this MachineDeployment's devices are checked, priced and counted
    /// for capacity; the rest of <paramref name="config"/> (the running cluster's objects) is only validated.
    /// </param>
    public static async Task<Public.PacketClusterPlan> CheckAsync(PacketClusterConfig config, PacketSession session, IEngineLog log, CancellationToken ct, ClusterClaim? claim = null,
        string? onlyDeployment = null)
    {
        ClusterValidation.ThrowIfInvalid(config);
        var metros = await session.MetrosAsync(log, ct).ConfigureAwait(false);
        var facilities = await session.FacilitiesAsync(log, ct).ConfigureAwait(false);
        var plans = await session.PlansAsync(log, ct).ConfigureAwait(false);
        var systems = await session.OperatingSystemsAsync(log, ct).ConfigureAwait(false);

        var devices = PlannedMachines(config).Where(d => onlyDeployment is null || d.Owner == $"MachineDeployment/{onlyDeployment}").ToList();
        var problems = new List<ValidationProblem>();
        var source = config.MachinesFile ?? "machines";
        var projectId = session.RequireProjectId();
        ProjectProblems(config, projectId, problems);
        var planned = new List<Public.PlannedDevice>();
        foreach (var (hostname, owner, spec) in devices)
        {
            var value = spec.ProviderSpec!.Value!;
            var location = Location(value, config.Cluster);
            void Add(string id, string field, string message) => problems.Add(new ValidationProblem(id, source, owner, field, message));

            var knownLocation = location.IsMetro
                ? metros.Any(m => Same(m.Code, location.Code))
                : facilities.Any(f => Same(f.Code, location.Code));
            if (!knownLocation)
                Add("UnknownLocation", location.IsMetro ? "providerSpec.value.metro" : "providerSpec.value.facility",
                    $"{location} does not exist. Known: {string.Join(", ", location.IsMetro ? metros.Select(m => m.Code) : facilities.Select(f => f.Code))}.");
            var plan = plans.FirstOrDefault(p => Same(p.Slug, value.MachineType));
            if (plan is null)
                Add("UnknownPlan", "providerSpec.value.machineType", $"plan '{value.MachineType}' does not exist. Run Get-PacketPlan to list plans.");
            else if (knownLocation && !(location.IsMetro ? plan.IsAvailableInMetro(location.Code) : plan.IsAvailableInFacility(location.Code)))
                Add("PlanNotAvailable", "providerSpec.value.machineType", $"plan '{plan.Slug}' is not offered in {location}. Run Get-PacketPlan -{(location.IsMetro ? "Metro" : "Facility")} {location.Code}.");
            var os = systems.FirstOrDefault(o => Same(o.Slug, value.OS));
            if (os is null)
                Add("UnknownOperatingSystem", "providerSpec.value.os", $"operating system '{value.OS}' does not exist. Run Get-PacketOperatingSystem.");
            else if (plan is not null && os.ProvisionableOn.Count > 0 && !os.ProvisionableOn.Contains(plan.Slug!, StringComparer.OrdinalIgnoreCase))
                Add("OperatingSystemNotSupported", "providerSpec.value.os", $"'{os.Slug}' does not install on plan '{plan.Slug}'.");

            planned.Add(new Public.PlannedDevice
            {
                Hostname = hostname,
                Role = Models.ClusterApi.MachineRoles.Of(!string.IsNullOrEmpty(spec.Versions?.ControlPlane)),
                Plan = value.MachineType ?? string.Empty,
                OperatingSystem = value.OS ?? string.Empty,
                Location = location.ToString(),
                PricePerHour = plan?.HourlyPriceIn(location.Code) is { } price ? (decimal)price : null,
            });
        }

        // Capacity: one check per location and plan for all the devices wanting it.
        if (problems.Count == 0)
        {
            using var client = session.CreateClient(log);
            foreach (var group in devices.GroupBy(d => (Location(d.Spec.ProviderSpec!.Value!, config.Cluster), Plan: d.Spec.ProviderSpec!.Value!.MachineType!)))
            {
                var result = await client.CheckCapacityAsync(group.Key.Item1, group.Key.Plan, group.Count(), ct).ConfigureAwait(false);
                if (!result.Available)
                    problems.Add(new ValidationProblem("NoCapacity", source, group.First().Owner, "providerSpec.value.machineType",
                        $"{group.Key.Item1} has no capacity for {group.Count()} × {group.Key.Plan}. Choose another plan or location."));
            }
        }
        if (problems.Count > 0) throw new ClusterConfigInvalidException(ParameterAttribution.Apply(config, problems));

        if (claim is not null)
        {
            using var client = session.CreateClient(log);
            await claim.EnsureNameFreeAsync(client, projectId, ct).ConfigureAwait(false);
        }

        var name = config.Name;
        return new Public.PacketClusterPlan
        {
            ClusterName = name,
            // Where the devices really go: the connected project (a spec's projectID must name the same one, checked above).
            ProjectId = projectId,
            Devices = planned.ToArray(),
            IpReservations = new[] { $"public_ipv4 ×1 in {EndpointLocation(config)} tagged {DeviceTags.ClusterId(name)} and the cluster's uid (control-plane endpoint :6443)" },
            Objects = new[] { $"Cluster/{name}" }
                .Concat(new[] { "ca", "etcd", "proxy", "sa" }.Select(s => $"Secret/{name}-{s}"))
                .Concat(config.Machines.Select(m => $"Machine/{m.Name}"))
                .Concat(config.MachineDeployments.Select(d => $"MachineDeployment/{d.Name}"))
                .Concat(config.MachineSets.Select(s => $"MachineSet/{s.Name}"))
                .ToArray(),
            TotalPricePerHour = planned.Sum(d => d.PricePerHour ?? 0),
        };
    }

    /// <summary>
    /// The devices go to the connected session's project (Connect-PacketApi -ProjectId, PACKET_PROJECT_ID): the API key
    /// is that project's. A projectID in the cluster's or a machine's providerSpec must therefore name that project —
    /// a different one, or the 2019 files' placeholder, is refused naming both — and when it is absent the connected
    /// project is used.
    /// </summary>
    private static void ProjectProblems(PacketClusterConfig config, string connected, List<ValidationProblem> problems)
    {
        void Check(string? given, string source, string owner)
        {
            if (string.IsNullOrWhiteSpace(given) || string.Equals(given, connected, StringComparison.OrdinalIgnoreCase)) return;
            var placeholder = given.StartsWith("__", StringComparison.Ordinal) || given.Contains('$') || given.Contains('<');
            problems.Add(new ValidationProblem("ProjectMismatch", source, owner, "providerSpec.value.projectID", placeholder
                ? $"'{given}' is a placeholder, not a project. Set it to the connected project {connected}, or remove it (the connected project is used when it is absent)."
                : $"names project {given}, but the session is connected to project {connected} (devices go to the connected project). Connect to {given} (Connect-PacketApi -ProjectId {given}) or set projectID to {connected}."));
        }
        Check(config.Cluster.Spec.ProviderSpec?.Value?.ProjectID, config.ClusterFile ?? "cluster", $"Cluster/{config.Name}");
        foreach (var m in config.Machines) Check(m.Spec.ProviderSpec?.Value?.ProjectID, config.MachinesFile ?? "machines", $"Machine/{m.Name}");
        foreach (var d in config.MachineDeployments) Check(d.Spec.Template?.Spec?.ProviderSpec?.Value?.ProjectID, config.MachinesFile ?? "machines", $"MachineDeployment/{d.Name}");
        foreach (var set in config.MachineSets) Check(set.Spec.Template?.Spec?.ProviderSpec?.Value?.ProjectID, config.MachinesFile ?? "machines", $"MachineSet/{set.Name}");
    }

    /// <summary>Every device creation would make: Machines by name, replicas of sets and deployments as name-0, name-1, ….</summary>
    private static IEnumerable<(string Hostname, string Owner, MachineSpec Spec)> PlannedMachines(PacketClusterConfig config)
    {
        foreach (var m in config.Machines) yield return (m.Name, $"Machine/{m.Name}", m.Spec);
        foreach (var s in config.MachineSets)
            for (var i = 0; i < (s.Spec.Replicas ?? 1); i++) yield return ($"{s.Name}-{i}", $"MachineSet/{s.Name}", s.Spec.Template!.Spec!);
        foreach (var d in config.MachineDeployments)
            for (var i = 0; i < (d.Spec.Replicas ?? 1); i++) yield return ($"{d.Name}-{i}", $"MachineDeployment/{d.Name}", d.Spec.Template!.Spec!);
    }

    /// <summary>The machine's metro or first facility, else the cluster's.</summary>
    internal static PacketLocation Location(PacketMachineProviderSpec? machine, Cluster cluster)
    {
        if (!string.IsNullOrEmpty(machine?.Metro)) return PacketLocation.Metro(machine.Metro);
        if (machine?.Facility is { Count: > 0 } f) return PacketLocation.Facility(f[0]);
        var clusterSpec = cluster.Spec.ProviderSpec?.Value;
        return !string.IsNullOrEmpty(clusterSpec?.Metro) ? PacketLocation.Metro(clusterSpec.Metro) : PacketLocation.Facility(clusterSpec?.Facility ?? "ewr1");
    }

    /// <summary>Where the endpoint's elastic IP lives: the cluster's location, else the first control plane's.</summary>
    internal static PacketLocation EndpointLocation(PacketClusterConfig config)
    {
        var clusterSpec = config.Cluster.Spec.ProviderSpec?.Value;
        var hasOwn = !string.IsNullOrEmpty(clusterSpec?.Metro) || !string.IsNullOrEmpty(clusterSpec?.Facility);
        return Location(hasOwn ? null : config.Machines.FirstOrDefault(m => m.IsControlPlane)?.Spec.ProviderSpec?.Value, config.Cluster);
    }

    private static bool Same(string? a, string? b) => string.Equals(a, b, StringComparison.OrdinalIgnoreCase);
}
