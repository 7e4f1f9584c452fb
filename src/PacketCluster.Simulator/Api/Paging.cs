using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace PacketCluster.Simulator.Api;

/// <summary>
/// page/per_page paging with the spec's <c>meta</c> (packet-api.md §4): per_page defaults to 10 (250 for IPs),
/// at most 1000. <c>previous</c>/<c>next</c> are omitted on the first/last page: Meta.yaml types them as Href
/// objects, so the real service's <c>null</c> would not validate; clients test for absence the same way.
/// </summary>
public static class Paging
{
    public const int MaxPerPage = 1000;

    public static JsonObject Page<T>(HttpRequest request, string key, IReadOnlyList<T> items, Func<T, JsonNode> render, int defaultPerPage = 10)
    {
        var perPage = Math.Clamp(IntParam(request, "per_page") ?? defaultPerPage, 1, MaxPerPage);
        var page = Math.Clamp(IntParam(request, "page") ?? 1, 1, 100_000);
        var total = items.Count;
        var lastPage = Math.Max(1, (total + perPage - 1) / perPage);
        var slice = items.Skip((page - 1) * perPage).Take(perPage).Select(i => (JsonNode?)render(i)).ToArray();

        var meta = new JsonObject
        {
            ["first"] = Link(request, 1, perPage),
            ["self"] = Link(request, page, perPage),
            ["last"] = Link(request, lastPage, perPage),
            ["total"] = total,
            ["current_page"] = page,
            ["last_page"] = lastPage,
        };
        if (page > 1) meta["previous"] = Link(request, Math.Min(page - 1, lastPage), perPage);
        if (page < lastPage) meta["next"] = Link(request, page + 1, perPage);
        return new JsonObject { [key] = new JsonArray(slice), ["meta"] = meta };
    }

    /// <summary>
    /// The list endpoints declare no 4xx for their query parameters (only 401/403/404), so an out-of-range or
    /// non-numeric page or per_page is not an error: it is clamped into the spec's range (minimum 1) or, unreadable,
    /// the default — a Rails API's to_i does the same.
    /// </summary>
    private static int? IntParam(HttpRequest request, string name)
    {
        var raw = request.Query[name].ToString();
        if (string.IsNullOrEmpty(raw) || !long.TryParse(raw, out var value)) return null;
        return (int)Math.Clamp(value, 1, int.MaxValue);
    }

    private static JsonObject Link(HttpRequest request, int page, int perPage)
    {
        var path = request.Path.Value ?? "/";
        if (!path.StartsWith(Renderer.Prefix, StringComparison.Ordinal)) path = Renderer.Prefix + path;
        var query = request.Query.Where(q => q.Key is not ("page" or "per_page"))
            .SelectMany(q => q.Value.Select(v => $"{Uri.EscapeDataString(q.Key)}={Uri.EscapeDataString(v ?? "")}"))
            .Append($"page={page}").Append($"per_page={perPage}");
        return new JsonObject { ["href"] = path + "?" + string.Join("&", query) };
    }
}
