using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PacketCluster.Engine;

namespace PacketCluster.Completion;

/// <summary>
/// Completes MachineHealthCheck names: those of the bound -ClusterName, else of every cluster in the state folder. The
/// tooltip says the cluster, healthy/expected machines and whether remediation is allowed.
/// </summary>
public sealed class HealthCheckNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var checks = StateCompletion.FromClusters(fakeBoundParameters, StateCompletion.HealthChecks);
            return CompletionValues.Matching(checks.Select(h => (h.Name,
                CompletionValues.Join($"{h.ClusterName}: {h.Healthy ?? 0}/{h.Expected ?? 0} healthy", h.Selector, h.Remediation is { } r ? "remediation " + r : null))),
                wordToComplete ?? string.Empty);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or PacketClusterException)
        {
            return Array.Empty<CompletionResult>();
        }
    }
}
