namespace PacketCluster.Engine.Tests.Metal;

/// <summary>
/// Test clock. With <see cref="AutoAdvance"/> every timer (the client's backoff waits) fires at once and moves the
/// clock forward by its due time, so retry tests are instant yet see realistic time; without it timers wait for
/// <see cref="Advance"/>, so a test can cancel during a wait. Records every requested wait.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private readonly object _lock = new();
    private readonly List<Timer> _pending = [];
    private readonly List<TimeSpan> _waits = [];
    private readonly SemaphoreSlim _timerCreated = new(0);
    private DateTimeOffset _now = new(2024, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public bool AutoAdvance { get; init; } = true;

    public IReadOnlyList<TimeSpan> Waits
    {
        get { lock (_lock) return _waits.ToArray(); }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock) return _now;
    }

    public override long GetTimestamp() => GetUtcNow().UtcTicks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public Task<bool> WaitForTimerAsync(TimeSpan timeout) => _timerCreated.WaitAsync(timeout);

    public void Advance(TimeSpan by)
    {
        List<Timer> due;
        lock (_lock)
        {
            _now += by;
            due = _pending.Where(t => t.Due <= _now).ToList();
            _pending.RemoveAll(due.Contains);
        }
        foreach (var timer in due) timer.Fire();
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, callback, state);
        if (dueTime == Timeout.InfiniteTimeSpan) return timer;
        lock (_lock)
        {
            _waits.Add(dueTime);
            if (AutoAdvance) _now += dueTime;
            else
            {
                timer.Due = _now + dueTime;
                _pending.Add(timer);
            }
        }
        if (AutoAdvance) ThreadPool.QueueUserWorkItem(_ => timer.Fire());
        _timerCreated.Release();
        return timer;
    }

    private sealed class Timer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;
        public DateTimeOffset Due { get; set; }

        public void Fire()
        {
            if (!_disposed) callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
            _disposed = true;
            lock (owner._lock) owner._pending.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
