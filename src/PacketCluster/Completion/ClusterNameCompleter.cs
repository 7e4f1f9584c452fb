using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PacketCluster.Engine;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Completion;

/// <summary>
/// Completes cluster names from the embedded state folder (-StatePath when bound); the tooltip says the cluster's
/// phase, location and endpoint when its state answers within the budget.
/// </summary>
public sealed class ClusterNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var root = StateLocation.ResolveRoot(fakeBoundParameters["StatePath"] as string);
            var prefix = WildcardPattern.Get((wordToComplete ?? string.Empty).Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
            var names = StateLocation.ListClusterNames(root).Where(n => prefix.IsMatch(n)).ToList();
            using var budget = new CancellationTokenSource(StateCompletion.Budget);
            // Described now, while the budget is alive: the token is gone once this returns.
            var described = names.Select(n => (n, StateCompletion.Describe(root, n, budget.Token))).ToList();
            return CompletionValues.Matching(described, wordToComplete ?? string.Empty);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PacketClusterException)
        {
            return Array.Empty<CompletionResult>();
        }
    }
}

/// <summary>
/// Completes machine names (Get-PacketMachine -MachineName, Remove-PacketMachine -Name) from the state folder: the
/// machines of -ClusterName when it is typed, else of every cluster; the tooltip gives role, phase, version, plan and address.
/// </summary>
public sealed class MachineNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var machines = StateCompletion.FromClusters(fakeBoundParameters, StateCompletion.Machines);
            return CompletionValues.Matching(machines.Select(m => (m.Name, StateCompletion.Describe(m))), wordToComplete ?? string.Empty);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PacketClusterException)
        {
            return Array.Empty<CompletionResult>();
        }
    }
}

/// <summary>Reads for completion: bounded in time (a pivoted cluster's state is a remote API), never throwing.</summary>
internal static class StateCompletion
{
    public static readonly TimeSpan Budget = TimeSpan.FromSeconds(3);

    public static string Describe(string root, string clusterName, CancellationToken ct)
    {
        var cluster = Read(() => ClusterQueries.GetClusterAsync(root, clusterName, ct), ct);
        if (cluster is null) return $"cluster {clusterName}";
        return CompletionValues.Join($"cluster {clusterName}: {cluster.Phase ?? "no phase yet"}",
            cluster.Location is { } location ? "in " + location : null,
            cluster.Endpoint is { } endpoint ? "endpoint " + endpoint : null);
    }

    public static string Describe(Machine m) =>
        CompletionValues.Join($"{m.Role} of {m.ClusterName}: {m.Phase ?? "no phase yet"}",
            m.Version is { } version ? "Kubernetes " + version : null, m.Plan, m.Location, m.Address);

    /// <summary>The items of the bound -ClusterName's cluster, else of every cluster in the state folder (-StatePath when bound), within one budget.</summary>
    public static List<T> FromClusters<T>(IDictionary bound, Func<string, string, CancellationToken, IReadOnlyList<T>> read)
    {
        var root = StateLocation.ResolveRoot(bound["StatePath"] as string);
        var clusters = bound["ClusterName"] is string cluster && cluster.Length > 0 ? new[] { cluster } : StateLocation.ListClusterNames(root).ToArray();
        using var budget = new CancellationTokenSource(Budget);
        var items = new List<T>();
        foreach (var name in clusters) items.AddRange(read(root, name, budget.Token));
        return items;
    }

    public static IReadOnlyList<Machine> Machines(string root, string clusterName, CancellationToken ct) =>
        Read(() => ClusterQueries.GetMachinesAsync(root, clusterName, ct), ct) ?? (IReadOnlyList<Machine>)Array.Empty<Machine>();

    public static IReadOnlyList<MachineHealthCheck> HealthChecks(string root, string clusterName, CancellationToken ct) =>
        Read(() => MachineHealthCheckOperations.ListAsync(root, clusterName, ct), ct) ?? (IReadOnlyList<MachineHealthCheck>)Array.Empty<MachineHealthCheck>();

    public static IReadOnlyList<MachineDeployment> Deployments(string root, string clusterName, CancellationToken ct) =>
        Read(() => ClusterQueries.GetDeploymentsAsync(root, clusterName, ct), ct) ?? (IReadOnlyList<MachineDeployment>)Array.Empty<MachineDeployment>();

    private static T? Read<T>(Func<Task<T>> read, CancellationToken ct) where T : class
    {
        if (ct.IsCancellationRequested) return null;
        try
        {
            var task = Task.Run(read, ct);
            return task.Wait(Budget, ct) ? task.Result : null;
        }
        catch (Exception ex) when (ex is PacketClusterException or OperationCanceledException or AggregateException or IOException)
        {
            return null;
        }
    }
}

/// <summary>
/// Completes Get-PacketUserData -MachineName from the cluster definition at -Path (or a piped-in config typed as a
/// variable is not known while typing): the machines it defines, with role, plan and operating system.
/// </summary>
public sealed class DefinitionMachineNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        if (fakeBoundParameters["Path"] is not string path || path.Length == 0) return Array.Empty<CompletionResult>();
        try
        {
            var current = System.Management.Automation.Runspaces.Runspace.DefaultRunspace?.SessionStateProxy.Path.CurrentFileSystemLocation.ProviderPath;
            var directory = System.IO.Path.GetFullPath(path.Trim('\'', '"'), current ?? Environment.CurrentDirectory);
            var config = PacketCluster.Engine.Operations.ClusterConfigImporter.ImportDirectory(directory).Config;
            return CompletionValues.Matching(UserdataPreview.Targets(config).Select(t => (t.Name, CompletionValues.Join(
                $"{MachineRoles.Of(!string.IsNullOrEmpty(t.Spec.Versions?.ControlPlane))} of {config.Name}",
                t.Spec.Versions?.Kubelet is { } version ? "Kubernetes " + version : null,
                t.Spec.ProviderSpec?.Value?.MachineType, t.Spec.ProviderSpec?.Value?.OS))), wordToComplete);
        }
        catch (Exception ex) when (ex is PacketClusterException or IOException or UnauthorizedAccessException or ArgumentException or PSInvalidOperationException)
        {
            return Array.Empty<CompletionResult>();
        }
    }
}
