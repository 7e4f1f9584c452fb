namespace PacketCluster.Simulator.Boot;

/// <summary>A device's serial console: timestamped lines, newest last, at most <see cref="MaxLines"/> kept.</summary>
public sealed class ConsoleLog : IConsoleLog
{
    public const int MaxLines = 2000;
    private readonly Queue<string> _lines = new();
    private readonly Lock _gate = new();

    public void WriteLine(string line)
    {
        var stamped = $"{DateTimeOffset.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} {line}";
        lock (_gate)
        {
            _lines.Enqueue(stamped);
            while (_lines.Count > MaxLines) _lines.Dequeue();
        }
    }

    public IReadOnlyList<string> Lines()
    {
        lock (_gate) return _lines.ToList();
    }

    public string Text() => string.Concat(Lines().Select(l => l + "\n"));
}
