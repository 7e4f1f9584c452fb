using PacketCluster.Engine.Metal;

namespace PacketCluster.Engine.Operations;

/// <summary>
/// New-PacketClusterConfig's check of the codes it writes against the live catalogue, when a connection is available:
/// a config for a metro, facility, plan or operating system that does not exist is refused before any file is written,
/// naming the nearest valid codes (the same words as Get-PacketPlan -Metro xx).
/// </summary>
public static class ConfigCatalogueCheck
{
    /// <summary>How long the check may wait for the API: it is a quick question, not the long retry budget of operations.</summary>
    public static readonly TimeSpan Timeout = PacketSession.FirstContactTimeout;

    /// <exception cref="PacketClusterException">UnknownLocation, UnknownPlan or UnknownOperatingSystem (with the nearest codes).</exception>
    /// <exception cref="PacketApiConnectionException">The API did not answer (the caller may only warn).</exception>
    public static async Task CheckAsync(PacketSession session, string? metro, string? facility, string? plan, string? operatingSystem, IEngineLog log, CancellationToken ct)
    {
        // A copy with short timeouts and no retries: an endpoint that does not answer must not hold the cmdlet for minutes.
        var quick = new PacketSession(session.Options with { Timeout = Timeout, MaxAttempts = 1 }, session.ApiKeySource);
        await CatalogueQueries.RequireKnownLocationAsync(quick, metro, facility, log, ct).ConfigureAwait(false);
        if (plan is not null)
        {
            var slugs = (await quick.PlansAsync(log, ct).ConfigureAwait(false)).Select(p => p.Slug).OfType<string>().ToList();
            if (!slugs.Contains(plan, StringComparer.OrdinalIgnoreCase))
                throw Unknown("UnknownPlan", "plan", plan, slugs, "Get-PacketPlan");
        }
        if (operatingSystem is not null)
        {
            var slugs = (await quick.OperatingSystemsAsync(log, ct).ConfigureAwait(false)).Select(o => o.Slug).OfType<string>().ToList();
            if (!slugs.Contains(operatingSystem, StringComparer.OrdinalIgnoreCase))
                throw Unknown("UnknownOperatingSystem", "operating system", operatingSystem, slugs, "Get-PacketOperatingSystem");
        }
    }

    private static PacketClusterException Unknown(string errorId, string kind, string code, IReadOnlyCollection<string> known, string lister) =>
        new(errorId, ErrorKind.InvalidArgument,
            $"There is no {kind} '{code}'. Nearest: {string.Join(", ", NearestCodes.To(code, known, 3))}. {lister} lists all {known.Count}.",
            $"Use one of {string.Join(", ", NearestCodes.To(code, known, 3))}, or run {lister} to see them all.", code);
}
