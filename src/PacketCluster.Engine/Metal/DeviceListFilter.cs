namespace PacketCluster.Engine.Metal;

/// <summary>Query of <c>GET /projects/{id}/devices</c>. Filtering by the cluster tag server-side keeps polling one list per project.</summary>
public sealed record DeviceListFilter
{
    /// <summary>One tag (the API takes a single <c>tag</c>).</summary>
    public string? Tag { get; init; }

    /// <summary>Matches hostname, description, tags, ids, IPs and plan/facility/OS names.</summary>
    public string? Search { get; init; }

    /// <summary>Relations to expand, e.g. "project"; dotted paths up to three levels.</summary>
    public IReadOnlyList<string>? Include { get; init; }

    /// <summary>Page size, 1–1000; null uses the client's 100 (the API's default of 10 would mean more calls).</summary>
    public int? PerPage { get; init; }
}
