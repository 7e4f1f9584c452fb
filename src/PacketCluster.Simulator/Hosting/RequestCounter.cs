using System.Collections.Concurrent;

namespace PacketCluster.Simulator.Hosting;

/// <summary>Requests by "METHOD /path/{template}" (no /metal/v1), for the API-efficiency targets (PRODUCT.md §10).</summary>
public sealed class RequestCounter
{
    private readonly ConcurrentDictionary<string, int> _counts = new();

    public void Add(string method, string template) => _counts.AddOrUpdate($"{method} {template}", 1, (_, n) => n + 1);
    public IReadOnlyDictionary<string, int> Snapshot() => new SortedDictionary<string, int>(_counts, StringComparer.Ordinal);
    public void Clear() => _counts.Clear();
}
