using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PacketCluster.Engine.Store;

namespace PacketCluster.Completion;

/// <summary>Completes cluster names from the embedded state folder (-StatePath when bound).</summary>
public sealed class ClusterNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var root = StateLocation.ResolveRoot(fakeBoundParameters["StatePath"] as string);
            return CompletionValues.Matching(StateLocation.ListClusterNames(root), wordToComplete);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Array.Empty<CompletionResult>();
        }
    }
}
