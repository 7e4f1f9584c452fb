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

    /// <summary>What the user should do, in a sentence (the error record's ErrorDetails.RecommendedAction); null when the message says it.</summary>
    public string? RecommendedAction { get; init; }
}
