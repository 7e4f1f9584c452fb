using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PacketCluster.Engine.Bootstrap;

namespace PacketCluster.Completion;

/// <summary>Completes -OperatingSystem/-Image from the shipped machine-config catalogue.</summary>
public sealed class ImageCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionValues.Matching(MachineConfigCatalogue.LoadShipped().Entries.GroupBy(e => e.Image).Select(g =>
            (g.Key, $"{g.Key}: Kubernetes {string.Join(", ", g.Select(e => e.Kubelet).Distinct().OrderBy(v => v, VersionOrder.Instance))}")), wordToComplete);
}

/// <summary>
/// Completes -KubernetesVersion from the shipped catalogue: only the versions it has for the chosen -OperatingSystem
/// (or -Image) when one is typed, each with the images that serve it.
/// </summary>
public sealed class KubernetesVersionCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var image = (fakeBoundParameters["OperatingSystem"] ?? fakeBoundParameters["Image"]) as string;
        var entries = MachineConfigCatalogue.LoadShipped().Entries.Where(e => image is null || string.Equals(e.Image, image, StringComparison.OrdinalIgnoreCase));
        return CompletionValues.Matching(entries.GroupBy(e => e.Kubelet).OrderBy(g => g.Key, VersionOrder.Instance).Select(g =>
            (g.Key, $"Kubernetes {g.Key} on {string.Join(", ", g.Select(e => e.Image).Distinct())}" +
                    (g.Select(e => e.ContainerRuntime).FirstOrDefault(r => !string.IsNullOrEmpty(r)) is { } runtime ? $" ({runtime})" : ""))), wordToComplete, sort: false);
    }
}

/// <summary>Orders version strings by their numbers (1.9 before 1.10).</summary>
internal sealed class VersionOrder : IComparer<string>
{
    public static readonly VersionOrder Instance = new();

    public int Compare(string? x, string? y) =>
        Version.TryParse(x, out var a) && Version.TryParse(y, out var b) ? a.CompareTo(b) : string.CompareOrdinal(x, y);
}

internal static class CompletionValues
{
    public static IEnumerable<CompletionResult> Matching(IEnumerable<string> values, string wordToComplete) =>
        Matching(values.Select(v => (v, v)), wordToComplete);

    /// <summary>The values that start with what was typed, each with its tooltip (the value itself when it has none).</summary>
    public static IEnumerable<CompletionResult> Matching(IEnumerable<(string Value, string ToolTip)> values, string wordToComplete, bool sort = true)
    {
        var pattern = WildcardPattern.Get((wordToComplete ?? string.Empty).Trim('\'', '"') + "*", WildcardOptions.IgnoreCase);
        var matching = values.Where(v => !string.IsNullOrEmpty(v.Value)).DistinctBy(v => v.Value).Where(v => pattern.IsMatch(v.Value));
        if (sort) matching = matching.OrderBy(v => v.Value, StringComparer.Ordinal);
        // Materialized here, so a failure while producing values surfaces inside the completer's own try, not later
        // in PowerShell's enumeration (which would drop every completion silently).
        return matching.Select(v => new CompletionResult(Quote(v.Value), v.Value, CompletionResultType.ParameterValue, string.IsNullOrEmpty(v.ToolTip) ? v.Value : v.ToolTip)).ToList();
    }

    /// <summary>Parts of a tooltip that are known, joined with commas.</summary>
    public static string Join(params string?[] parts) => string.Join(", ", parts.Where(p => !string.IsNullOrEmpty(p)));

    // A name with a space or a quote would not parse as one argument.
    private static string Quote(string value) =>
        value.IndexOfAny(new[] { ' ', '\'', '"', '$', '`', ';', '(', ')', '{', '}', ',', '&', '|', '#', '@' }) < 0 ? value : "'" + value.Replace("'", "''") + "'";
}
