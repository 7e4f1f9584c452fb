namespace PacketCluster.Engine.Tests.Metal;

/// <summary>Engine log that keeps every message (thread-safe, as the client logs from pool threads).</summary>
internal sealed class RecordingLog : IEngineLog
{
    private readonly List<EngineMessage> _messages = [];

    public IReadOnlyList<EngineMessage> Messages
    {
        get { lock (_messages) return _messages.ToArray(); }
    }

    public IEnumerable<string> Verbose => Messages.Where(m => m.Level == EngineMessageLevel.Verbose).Select(m => m.Text);

    public void Write(EngineMessage message)
    {
        lock (_messages) _messages.Add(message);
    }
}
