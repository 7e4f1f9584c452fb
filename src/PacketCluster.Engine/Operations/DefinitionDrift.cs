using PacketCluster.Engine.Api;
using PacketCluster.Engine.Store;
using PacketCluster.Models;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Operations;

/// <summary>The parts of a definition New-PacketCluster compares with a cluster that is already recorded.</summary>
public enum DefinitionField
{
    ProjectId,
    Metro,
    Facility,
    ControlPlaneCount,
    WorkerCount,
    ControlPlanePlan,
    WorkerPlan,
    OperatingSystem,
    KubernetesVersion,
}

/// <summary>One way a requested definition differs from the recorded cluster, and the cmdlet that changes it.</summary>
public sealed record DefinitionDifference(DefinitionField Field, string Recorded, string Requested, string Remedy)
{
    public override string ToString() => $"{Field}: recorded {Recorded}, requested {Requested} ({Remedy})";
}

/// <summary>
/// Running New-PacketCluster again resumes a cluster only when it asks for what is recorded. Anything else would either
/// be ignored silently (the recorded objects win) or wait for machines the recorded definition never makes, so a
/// different request stops before any side effect and names the cmdlets that make each change on a living cluster.
/// </summary>
public static class DefinitionDrift
{
    /// <summary>Every field: a whole definition (a config object or the seed-style files) says all of them.</summary>
    public static IReadOnlySet<DefinitionField> AllFields { get; } = Enum.GetValues<DefinitionField>().ToHashSet();

    /// <summary>
    /// The recorded definition of a cluster in the state root (its folder, a bootstrap cluster, or — pivoted — the
    /// cluster itself); null when nothing is recorded under that name.
    /// </summary>
    public static async Task<PacketClusterConfig?> RecordedAsync(string stateRoot, string name, CancellationToken ct)
    {
        if (!ClusterQueries.ClusterNames(stateRoot).Contains(name, StringComparer.Ordinal)) return null;
        return await ClusterQueries.ReadAsync(stateRoot, name, store => RecordedAsync(store, ClusterOperations.DefaultNamespace, name, ct)).ConfigureAwait(false);
    }

    /// <summary>
    /// The definition as it stands in a store: the Cluster, the Machines no set owns, the MachineDeployments and the
    /// MachineSets no deployment owns — the same shape New-PacketClusterConfig writes, after any day-2 change.
    /// </summary>
    public static async Task<PacketClusterConfig?> RecordedAsync(IStateStore store, string ns, string name, CancellationToken ct)
    {
        var cluster = await store.GetAsync<Cluster>(ns, name, ct).ConfigureAwait(false);
        if (cluster is null) return null;
        var selector = new Dictionary<string, string> { [ClusterValidation.ClusterNameLabel] = name };
        static bool Standalone(ResourceObject o) => o.Metadata.OwnerReferences is not { Count: > 0 } && o.Metadata.DeletionTimestamp is null;
        return new PacketClusterConfig
        {
            Cluster = cluster,
            Machines = (await store.ListAsync<Machine>(ns, selector, ct).ConfigureAwait(false)).Where(Standalone).ToList(),
            MachineDeployments = (await store.ListAsync<MachineDeployment>(ns, selector, ct).ConfigureAwait(false)).Where(d => d.Metadata.DeletionTimestamp is null).ToList(),
            MachineSets = (await store.ListAsync<MachineSet>(ns, selector, ct).ConfigureAwait(false)).Where(Standalone).ToList(),
        };
    }

    /// <summary>How <paramref name="requested"/> differs from <paramref name="recorded"/> in the given fields.</summary>
    public static IReadOnlyList<DefinitionDifference> Compare(PacketClusterConfig recorded, PacketClusterConfig requested, IReadOnlySet<DefinitionField> fields)
    {
        var name = recorded.Name;
        var differences = new List<DefinitionDifference>();
        void Check(DefinitionField field, string? was, string? wanted, string remedy)
        {
            if (!fields.Contains(field) || string.Equals(was ?? "", wanted ?? "", StringComparison.OrdinalIgnoreCase)) return;
            differences.Add(new DefinitionDifference(field, was ?? "(none)", wanted ?? "(none)", remedy));
        }
        var cannotMove = $"a cluster cannot move: choose another -Name, or delete it first with Remove-PacketCluster {name}";
        Check(DefinitionField.ProjectId, recorded.ProjectId, requested.ProjectId,
            $"it is recorded in another project: Connect-PacketApi -ProjectId {recorded.ProjectId} to resume it, or choose another -Name");
        Check(DefinitionField.Metro, recorded.Metro, requested.Metro, cannotMove);
        if (recorded.Metro is null || requested.Metro is null) Check(DefinitionField.Facility, recorded.Facility, requested.Facility, cannotMove);
        Check(DefinitionField.ControlPlaneCount, recorded.ControlPlaneCount.ToString(), requested.ControlPlaneCount.ToString(),
            $"Set-PacketControlPlane {name} -Replicas {requested.ControlPlaneCount}");
        Check(DefinitionField.WorkerCount, recorded.WorkerCount.ToString(), requested.WorkerCount.ToString(),
            recorded.MachineDeployments.Count == 1
                ? $"Set-PacketMachineDeployment {name} -Replicas {requested.WorkerCount}, or Add-PacketMachine {name} -Count {Math.Max(1, requested.WorkerCount - recorded.WorkerCount)} / Remove-PacketMachine"
                : "Set-PacketMachineDeployment -ClusterName " + name + " -DeploymentName <pool> -Replicas <n> per pool, Add-PacketMachine or Remove-PacketMachine");
        Check(DefinitionField.ControlPlanePlan, Join(ControlPlaneSpecs(recorded).Select(s => s.MachineType)), Join(ControlPlaneSpecs(requested).Select(s => s.MachineType)),
            $"Set-PacketControlPlane {name} -Plan <plan> replaces the control-plane machines one by one");
        Check(DefinitionField.WorkerPlan, Join(WorkerSpecs(recorded).Select(s => s.MachineType)), Join(WorkerSpecs(requested).Select(s => s.MachineType)),
            $"New-PacketMachineDeployment -ClusterName {name} -Plan <plan> adds a pool with another plan; Remove-PacketMachineDeployment removes the old one");
        Check(DefinitionField.OperatingSystem, Join(AllSpecs(recorded).Select(s => s.OS)), Join(AllSpecs(requested).Select(s => s.OS)),
            $"Set-PacketControlPlane {name} -OperatingSystem <os> for the control plane; New-PacketMachineDeployment -OperatingSystem <os> for a worker pool");
        Check(DefinitionField.KubernetesVersion, recorded.KubernetesVersion, requested.KubernetesVersion,
            $"Set-PacketControlPlane {name} -KubernetesVersion <version>, then Set-PacketMachineDeployment {name} -KubernetesVersion <version>");
        return differences;
    }

    /// <summary>The machines a recorded definition makes: every standalone Machine and every set's and deployment's replicas.</summary>
    public static int ExpectedMachineCount(PacketClusterConfig config) =>
        config.Machines.Count + config.MachineDeployments.Sum(d => d.Spec.Replicas ?? 1) + config.MachineSets.Sum(s => s.Spec.Replicas ?? 1);

    /// <summary>The error New-PacketCluster stops with: every difference on its own line with its remedy.</summary>
    public static PacketClusterException Error(string name, string where, IReadOnlyList<DefinitionDifference> differences) =>
        new("ClusterDefinitionDiffers", ErrorKind.InvalidOperation,
            $"Cluster '{name}' already exists ({where}) with another definition, so running New-PacketCluster again would not resume it. Differences:" +
            string.Concat(differences.Select(d => $"\n  {d.Field}: recorded {d.Recorded}, requested {d.Requested} - {d.Remedy}")) +
            "\nRun New-PacketCluster with the recorded values to resume it, change it with the cmdlets named, or choose another -Name.",
            $"Change cluster '{name}' with {string.Join("; ", differences.Select(d => d.Remedy).Distinct())} - or rerun New-PacketCluster with the recorded values, or another -Name.", name);

    private static IEnumerable<PacketMachineProviderSpec> ControlPlaneSpecs(PacketClusterConfig c) =>
        c.Machines.Where(m => m.IsControlPlane).Select(m => m.Spec.ProviderSpec?.Value).OfType<PacketMachineProviderSpec>();

    private static IEnumerable<PacketMachineProviderSpec> WorkerSpecs(PacketClusterConfig c) =>
        c.Machines.Where(m => !m.IsControlPlane).Select(m => m.Spec.ProviderSpec?.Value)
            .Concat(c.MachineDeployments.Where(d => (d.Spec.Replicas ?? 1) > 0).Select(d => d.Spec.Template?.Spec?.ProviderSpec?.Value))
            .Concat(c.MachineSets.Where(s => (s.Spec.Replicas ?? 1) > 0).Select(s => s.Spec.Template?.Spec?.ProviderSpec?.Value))
            .OfType<PacketMachineProviderSpec>();

    private static IEnumerable<PacketMachineProviderSpec> AllSpecs(PacketClusterConfig c) => ControlPlaneSpecs(c).Concat(WorkerSpecs(c));

    private static string? Join(IEnumerable<string?> values)
    {
        var distinct = values.OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase).ToList();
        return distinct.Count == 0 ? null : string.Join(", ", distinct);
    }
}
