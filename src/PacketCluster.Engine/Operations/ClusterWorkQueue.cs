using System.Threading.Channels;

namespace PacketCluster.Engine.Operations;

/// <summary>
/// Cluster names for the manager's workers (client-go's work queue, reduced to what the manager needs): a name waiting
/// is not added twice; a name being reconciled is not handed to a second worker, and a change during its pass queues it
/// once more for after; each cluster has at most one timed requeue, the one its latest pass asked for.
/// </summary>
internal sealed class ClusterWorkQueue(TimeProvider time)
{
    private readonly Channel<string> _ready = Channel.CreateUnbounded<string>();
    private readonly HashSet<string> _queued = new(StringComparer.Ordinal);
    private readonly HashSet<string> _active = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _timers = new(StringComparer.Ordinal);
    private long _lastTimer;

    public void Add(string cluster)
    {
        lock (_queued)
        {
            if (_active.Contains(cluster)) { _dirty.Add(cluster); return; }
            if (!_queued.Add(cluster)) return;
        }
        _ready.Writer.TryWrite(cluster);
    }

    /// <summary>
    /// Replaces the cluster's timed requeue with <paramref name="delay"/> after now, or with none. A timer left from an
    /// earlier pass would be a second, independent cadence: every resync and watch-triggered pass would add one more,
    /// and a steady cluster would be reconciled several times per requeue interval.
    /// </summary>
    public void ScheduleNext(string cluster, TimeSpan? delay, CancellationToken ct)
    {
        long timer;
        lock (_queued)
        {
            if (delay is null)
            {
                _timers.Remove(cluster);
                return;
            }
            timer = _timers[cluster] = ++_lastTimer;
        }
        _ = Task.Delay(delay.Value, time, ct).ContinueWith(t =>
        {
            if (t.IsCanceled) return;
            lock (_queued)
            {
                if (!_timers.TryGetValue(cluster, out var current) || current != timer) return;
                _timers.Remove(cluster);
            }
            Add(cluster);
        }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    public async Task<string> TakeAsync(CancellationToken ct)
    {
        var cluster = await _ready.Reader.ReadAsync(ct).ConfigureAwait(false);
        lock (_queued)
        {
            _queued.Remove(cluster);
            _active.Add(cluster);
        }
        return cluster;
    }

    public void Done(string cluster)
    {
        bool again;
        lock (_queued)
        {
            _active.Remove(cluster);
            again = _dirty.Remove(cluster);
        }
        if (again) Add(cluster);
    }
}
