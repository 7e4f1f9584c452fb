using PacketCluster.Engine;

namespace PacketCluster.Manager;

/// <summary>Engine messages as log lines on stdout (what `kubectl logs` shows). Engine messages never carry secrets.</summary>
internal sealed class ConsoleEngineLog(bool debug) : IEngineLog
{
    private readonly object _gate = new();

    public void Write(EngineMessage message)
    {
        if (message.Level == EngineMessageLevel.Debug && !debug) return;
        var line = $"{DateTimeOffset.UtcNow:O} {message.Level.ToString().ToLowerInvariant()} {message.Text}";
        lock (_gate) Console.Out.WriteLine(line);
    }
}
