using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PacketCluster.Engine.Bootstrap;

namespace PacketCluster.Completion;

/// <summary>Completes -OperatingSystem/-Image from the shipped machine-config catalogue.</summary>
public sealed class ImageCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionValues.Matching(MachineConfigCatalogue.LoadShipped().Entries.Select(e => e.Image), wordToComplete);
}

/// <summary>Completes -KubernetesVersion from the shipped catalogue, for the chosen image when one is bound.</summary>
public sealed class KubernetesVersionCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var image = (fakeBoundParameters["OperatingSystem"] ?? fakeBoundParameters["Image"]) as string;
        var entries = MachineConfigCatalogue.LoadShipped().Entries.Where(e => image is null || e.Image == image);
        return CompletionValues.Matching(entries.Select(e => e.Kubelet), wordToComplete);
    }
}

internal static class CompletionValues
{
    public static IEnumerable<CompletionResult> Matching(IEnumerable<string> values, string wordToComplete)
    {
        var pattern = WildcardPattern.Get((wordToComplete ?? string.Empty).Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        return values.Distinct().Where(v => pattern.IsMatch(v)).OrderBy(v => v, StringComparer.Ordinal)
            .Select(v => new CompletionResult(v, v, CompletionResultType.ParameterValue, v));
    }
}
