using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PacketCluster.Engine;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Completion;

/// <summary>
/// Completes MachineDeployment (node pool) names: those of the bound -ClusterName, else of every cluster in the state
/// folder (-StatePath when bound). The tooltip says the cluster, workers Ready/wanted, plan, OS and version.
/// </summary>
public sealed class DeploymentNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var deployments = StateCompletion.FromClusters(fakeBoundParameters, StateCompletion.Deployments);
            return CompletionValues.Matching(deployments.Select(d => (d.Name,
                CompletionValues.Join($"{d.ClusterName}: {d.ReadyReplicas}/{d.Replicas} Ready", d.Plan, d.OperatingSystem,
                    d.Version is { } version ? "Kubernetes " + version : null))), wordToComplete ?? string.Empty);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PacketClusterException)
        {
            return Array.Empty<CompletionResult>();
        }
    }
}
