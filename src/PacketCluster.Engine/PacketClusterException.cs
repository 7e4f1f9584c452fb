namespace PacketCluster.Engine;

/// <summary>
/// Base of every engine failure a user can act on. <see cref="ErrorId"/> is stable (scripts match on it);
/// the message says what to do. Messages never carry secrets.
/// </summary>
public class PacketClusterException : Exception
{
    public PacketClusterException(string errorId, ErrorKind kind, string message, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        ErrorId = errorId;
        Kind = kind;
        Target = target;
    }

    public string ErrorId { get; }
    public ErrorKind Kind { get; }
    public object? Target { get; }
}
