using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using PacketCluster.Engine;
using PacketCluster.Engine.Operations;

namespace PacketCluster.Completion;

/// <summary>Completes from the live catalogue of the session's connection (cached per session); nothing when not connected.</summary>
public abstract class LiveCatalogueCompleter : IArgumentCompleter
{
    // Completion must stay snappy: a slow or unreachable API yields no suggestions rather than a hang.
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(5);

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var session = PacketSessions.TryGet();
        if (session is null) return Array.Empty<CompletionResult>();
        try
        {
            using var cts = new CancellationTokenSource(Budget);
            var values = Task.Run(() => Values(session, fakeBoundParameters, cts.Token)).GetAwaiter().GetResult();
            return CompletionValues.Matching(values, wordToComplete);
        }
        catch (Exception ex) when (ex is PacketClusterException or OperationCanceledException)
        {
            return Array.Empty<CompletionResult>();
        }
    }

    /// <summary>The values with their tooltips (what the value is: a metro's city, a plan's price, …).</summary>
    private protected abstract Task<IEnumerable<(string Value, string ToolTip)>> Values(PacketSession session, IDictionary bound, CancellationToken ct);
}

public sealed class MetroCompleter : LiveCatalogueCompleter
{
    private protected override async Task<IEnumerable<(string, string)>> Values(PacketSession session, IDictionary bound, CancellationToken ct) =>
        (await CatalogueQueries.MetrosAsync(session, NullEngineLog.Instance, ct))
            .Select(m => (m.Code, CompletionValues.Join($"metro {m.Code}: {m.Name}", m.Country)));
}

public sealed class FacilityCompleter : LiveCatalogueCompleter
{
    private protected override async Task<IEnumerable<(string, string)>> Values(PacketSession session, IDictionary bound, CancellationToken ct) =>
        (await CatalogueQueries.FacilitiesAsync(session, NullEngineLog.Instance, ct))
            .Where(f => bound["Metro"] is not string metro || string.Equals(f.Metro, metro, StringComparison.OrdinalIgnoreCase))
            .Select(f => (f.Code, CompletionValues.Join($"facility {f.Code}: {f.Name}", f.Metro is null ? null : "metro " + f.Metro)));
}

public sealed class PlanCompleter : LiveCatalogueCompleter
{
    private protected override async Task<IEnumerable<(string, string)>> Values(PacketSession session, IDictionary bound, CancellationToken ct) =>
        (await CatalogueQueries.PlansAsync(session, bound["Metro"] as string, bound["Facility"] as string, NullEngineLog.Instance, ct))
            .Select(p => (p.Slug, CompletionValues.Join(
                p.PricePerHour is { } price ? $"{p.Slug}: {price:0.00} USD/hour" : $"{p.Slug}: price unknown",
                p.Description,
                p.Metros.Length > 0 ? "metros " + string.Join(",", p.Metros) : null)));
}

public sealed class OperatingSystemCompleter : LiveCatalogueCompleter
{
    private protected override async Task<IEnumerable<(string, string)>> Values(PacketSession session, IDictionary bound, CancellationToken ct) =>
        (await CatalogueQueries.OperatingSystemsAsync(session, NullEngineLog.Instance, ct))
            .Select(o => (o.Slug, CompletionValues.Join($"{o.Slug}: {o.Name}", string.Join(" ", new[] { o.Distro, o.Version }.Where(v => !string.IsNullOrEmpty(v))))));
}
