using PacketCluster.Simulator.Config;

namespace PacketCluster.Simulator.Hosting;

/// <summary>
/// Fixed-window limit with the real header names (packet-api.md §5): X-RateLimit-Limit, -Remaining and -Reset
/// (unix seconds when the window ends). Numbers are ours; the real limits are unpublished.
/// </summary>
public sealed class RateLimiter(TimeProvider clock, RateLimitConfig config)
{
    private readonly object _gate = new();
    private RateLimitConfig _config = config;
    private long _windowStartTicks = -1;
    private int _count;

    public RateLimitConfig Config { get { lock (_gate) return _config; } }

    public void Replace(RateLimitConfig config)
    {
        lock (_gate) { _config = config; _windowStartTicks = -1; _count = 0; }
    }

    public void Reset() { lock (_gate) { _windowStartTicks = -1; _count = 0; } }

    /// <summary>Counts one request. Null when limiting is off.</summary>
    public Decision? Take()
    {
        lock (_gate)
        {
            if (_config.Requests <= 0) return null;
            var now = clock.GetUtcNow();
            var window = _config.Window.Ticks;
            if (_windowStartTicks < 0 || now.UtcTicks >= _windowStartTicks + window)
            {
                _windowStartTicks = now.UtcTicks;
                _count = 0;
            }
            _count++;
            var reset = new DateTimeOffset(_windowStartTicks + window, TimeSpan.Zero).ToUnixTimeSeconds();
            return new Decision(_config.Requests, Math.Max(0, _config.Requests - _count), reset, _count > _config.Requests);
        }
    }

    /// <summary>Headers for an injected 429 when no window is running (limit off).</summary>
    public Decision Peek()
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            var limit = _config.Requests > 0 ? _config.Requests : 0;
            var reset = _windowStartTicks >= 0 ? new DateTimeOffset(_windowStartTicks + _config.Window.Ticks, TimeSpan.Zero) : now + _config.Window;
            return new Decision(limit, 0, reset.ToUnixTimeSeconds(), true);
        }
    }

    public sealed record Decision(int Limit, int Remaining, long Reset, bool Exceeded);
}
