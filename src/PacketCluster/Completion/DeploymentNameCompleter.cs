using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PacketCluster.Engine;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;

namespace PacketCluster.Completion;

/// <summary>
/// Completes MachineDeployment (node pool) names: those of the bound -ClusterName, else of every cluster in the state
/// folder (-StatePath when bound). The tooltip says the cluster, workers Ready/wanted, plan, OS and version.
/// </summary>
public sealed class DeploymentNameCompleter : IArgumentCompleter
{
    // Completion must stay snappy: a pivoted cluster's store is another cluster's API server.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var root = StateLocation.ResolveRoot(fakeBoundParameters["StatePath"] as string);
            var clusters = fakeBoundParameters["ClusterName"] is string cluster && cluster.Length > 0 ? [cluster] : ClusterQueries.ClusterNames(root);
            using var cts = new CancellationTokenSource(Budget);
            var pattern = WildcardPattern.Get((wordToComplete ?? string.Empty).Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
            var results = new List<CompletionResult>();
            foreach (var name in clusters)
            {
                IReadOnlyList<Models.ClusterApi.MachineDeployment> deployments;
                try
                {
                    deployments = Task.Run(() => ClusterQueries.GetDeploymentsAsync(root, name, cts.Token)).GetAwaiter().GetResult();
                }
                catch (Exception ex) when (ex is PacketClusterException or OperationCanceledException or IOException)
                {
                    continue;
                }
                foreach (var d in deployments.Where(d => pattern.IsMatch(d.Name)))
                    results.Add(new CompletionResult(d.Name, d.Name, CompletionResultType.ParameterValue,
                        $"{d.ClusterName}: {d.ReadyReplicas}/{d.Replicas} Ready, {d.Plan} {d.OperatingSystem} Kubernetes {d.KubernetesVersion}"));
            }
            return results.OrderBy(r => r.CompletionText, StringComparer.Ordinal).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PacketClusterException)
        {
            return Array.Empty<CompletionResult>();
        }
    }
}
