using System.Collections.Concurrent;

namespace PacketCluster.Simulator.Hosting;

/// <summary>Requests by "METHOD /path/{template}" (no /metal/v1), for the API-efficiency targets (PRODUCT.md §10).</summary>
public sealed class RequestCounter
{
    private readonly ConcurrentDictionary<string, int> _counts = new();

    private int _inFlight;
    private int _maxInFlight;

    public void Add(string method, string template) => _counts.AddOrUpdate($"{method} {template}", 1, (_, n) => n + 1);
    public IReadOnlyDictionary<string, int> Snapshot() => new SortedDictionary<string, int>(_counts, StringComparer.Ordinal);

    /// <summary>Most API requests served at the same moment since the last clear: shows a client's concurrency bound.</summary>
    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Counts one request as in flight until disposed.</summary>
    public InFlight Enter()
    {
        var now = Interlocked.Increment(ref _inFlight);
        int seen;
        while ((seen = Volatile.Read(ref _maxInFlight)) < now && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen) { }
        return new InFlight(this);
    }

    public void Clear()
    {
        _counts.Clear();
        Volatile.Write(ref _maxInFlight, Volatile.Read(ref _inFlight));
    }

    public readonly struct InFlight(RequestCounter counter) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref counter._inFlight);
    }
}
