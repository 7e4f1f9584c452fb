using Microsoft.AspNetCore.Http;

namespace PacketCluster.Simulator.Api;

/// <summary>
/// <c>include</c>/<c>exclude</c> (packet-api.md §4): comma lists, dotted paths; unknown names are ignored.
/// Only the first level matters to the simulator's shapes.
/// </summary>
public sealed class Expansion
{
    private readonly HashSet<string> _include;
    private readonly HashSet<string> _exclude;

    public Expansion(IEnumerable<string> include, IEnumerable<string> exclude)
    {
        _include = new(include, StringComparer.OrdinalIgnoreCase);
        _exclude = new(exclude, StringComparer.OrdinalIgnoreCase);
    }

    public static Expansion None { get; } = new([], []);

    public static Expansion From(HttpRequest request) => new(Names(request, "include"), Names(request, "exclude"));

    private static IEnumerable<string> Names(HttpRequest request, string key) =>
        request.Query[key].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(n => n.Split('.')[0]);

    public bool Includes(string name) => _include.Contains(name);
    public bool Excludes(string name) => _exclude.Contains(name);
}
