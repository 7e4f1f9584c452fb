using PacketCluster.Engine.Metal;
using Public = PacketCluster.Models.Metal;

namespace PacketCluster.Engine.Operations;

/// <summary>
/// One Packet API connection (Connect-PacketApi): its options and a per-session cache of the catalogue (metros,
/// facilities, plans, operating systems), which changes rarely and feeds the argument completers.
/// </summary>
public sealed class PacketSession
{
    /// <summary>Catalogue entries older than this are fetched again.</summary>
    private static readonly TimeSpan CatalogueLifetime = TimeSpan.FromMinutes(10);

    private readonly TimeProvider _time;
    private Cached<IReadOnlyList<Metro>>? _metros;
    private Cached<IReadOnlyList<Facility>>? _facilities;
    private Cached<IReadOnlyList<Plan>>? _plans;
    private Cached<IReadOnlyList<PacketOperatingSystem>>? _operatingSystems;

    public PacketSession(PacketApiOptions options, string apiKeySource, TimeProvider? time = null, bool isExplicit = false)
    {
        options.Validate();
        Options = options;
        ApiKeySource = apiKeySource;
        IsExplicit = isExplicit;
        _time = time ?? TimeProvider.System;
    }

    public PacketApiOptions Options { get; }
    public string ApiKeySource { get; }
    /// <summary>Made by Connect-PacketApi (kept until Disconnect-PacketApi), not from the environment.</summary>
    public bool IsExplicit { get; }
    public string? ProjectName { get; private set; }

    public PacketClient CreateClient(IEngineLog log) => new(Options, log);

    /// <summary>
    /// How long the first contact may take. An endpoint that accepts connections and never answers cost the whole retry
    /// budget (two minutes) before; connecting is a question with a quick answer. Long operations keep the long budget.
    /// </summary>
    public static readonly TimeSpan FirstContactTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Checks the key (and project, when set) with one call, so a wrong key fails at connect time.</summary>
    public async Task<Public.PacketConnectionInfo> VerifyAsync(IEngineLog log, CancellationToken ct)
    {
        using var client = new PacketClient(Options with { Timeout = FirstContactTimeout, MaxAttempts = 1 }, log);
        var tried = Options.ProjectId is { } id ? $"GET {new Uri(Options.Endpoint, $"projects/{id}")}" : $"GET {new Uri(Options.Endpoint, "projects")}";
        try
        {
            if (Options.ProjectId is { } projectId)
                ProjectName = (await client.GetProjectAsync(projectId, ct).ConfigureAwait(false)).Name;
            else
                await client.ListProjectsAsync(ct).ConfigureAwait(false);
        }
        catch (PacketApiConnectionException e)
        {
            throw new PacketApiConnectionException(e.ErrorId, e.Kind,
                $"No answer from the Packet API: tried {tried} (waited at most {FirstContactTimeout.TotalSeconds:0} s): {e.Message} Check -Endpoint / PACKET_API_URL and that the service runs.",
                "Check -Endpoint (or PACKET_API_URL) and that the Packet API or simulator runs, then run Connect-PacketApi again.",
                new PacketApiFailure(e.Method, e.Url, e.StatusCode, e.ApiErrors, e.RequestId), e);
        }
        return Describe();
    }

    public Public.PacketConnectionInfo Describe() => new()
    {
        Endpoint = Options.Endpoint,
        ProjectId = Options.ProjectId,
        ProjectName = ProjectName,
        ApiKeySource = ApiKeySource,
        IsExplicit = IsExplicit,
    };

    public string RequireProjectId() => Options.ProjectId ?? throw new PacketClusterException("ProjectIdMissing", ErrorKind.InvalidArgument,
        "No project: pass -ProjectId to Connect-PacketApi or set PACKET_PROJECT_ID.",
        "Pass -ProjectId to Connect-PacketApi or set PACKET_PROJECT_ID.");

    public Task<IReadOnlyList<Metro>> MetrosAsync(IEngineLog log, CancellationToken ct) =>
        GetCachedAsync(ref _metros, c => c.GetMetrosAsync(ct), log);

    public Task<IReadOnlyList<Facility>> FacilitiesAsync(IEngineLog log, CancellationToken ct) =>
        GetCachedAsync(ref _facilities, c => c.GetFacilitiesAsync(ct), log);

    /// <summary>All plans with their availability included; location filters are applied by the caller.</summary>
    public Task<IReadOnlyList<Plan>> PlansAsync(IEngineLog log, CancellationToken ct) =>
        GetCachedAsync(ref _plans, c => c.GetPlansAsync(null, ct), log);

    public Task<IReadOnlyList<PacketOperatingSystem>> OperatingSystemsAsync(IEngineLog log, CancellationToken ct) =>
        GetCachedAsync(ref _operatingSystems, c => c.GetOperatingSystemsAsync(ct), log);

    private Task<T> GetCachedAsync<T>(ref Cached<T>? slot, Func<PacketClient, Task<T>> fetch, IEngineLog log)
    {
        var current = Volatile.Read(ref slot);
        if (current is not null && _time.GetUtcNow() - current.FetchedAt < CatalogueLifetime && current.Value.IsCompletedSuccessfully)
            return current.Value;
        var fresh = new Cached<T>(FetchAsync(fetch, log), _time.GetUtcNow());
        Volatile.Write(ref slot, fresh);
        return fresh.Value;
    }

    private async Task<T> FetchAsync<T>(Func<PacketClient, Task<T>> fetch, IEngineLog log)
    {
        using var client = CreateClient(log);
        return await fetch(client).ConfigureAwait(false);
    }

    private sealed record Cached<T>(Task<T> Value, DateTimeOffset FetchedAt);

    public override string ToString() => $"PacketSession {Options.Endpoint} project {Options.ProjectId}";
}
