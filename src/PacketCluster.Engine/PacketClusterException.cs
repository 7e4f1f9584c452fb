namespace PacketCluster.Engine;

/// <summary>
/// Base of every engine failure a user can act on. <see cref="ErrorId"/> is stable (scripts match on it);
/// <see cref="RecommendedAction"/> says what to do (the cmdlets put it into ErrorDetails.RecommendedAction).
/// Messages and advice never carry secrets.
/// </summary>
public class PacketClusterException : Exception
{
    /// <param name="errorId">Stable id a script can match on.</param>
    /// <param name="kind">Maps to the PowerShell error category.</param>
    /// <param name="message">What went wrong (may repeat the advice).</param>
    /// <param name="recommendedAction">Required: short advice on what the user should do next. Never empty, never a secret.</param>
    /// <param name="target">The object the error is about.</param>
    /// <param name="inner">The cause.</param>
    public PacketClusterException(string errorId, ErrorKind kind, string message, string recommendedAction, object? target = null, Exception? inner = null)
        : base(message, inner)
    {
        if (string.IsNullOrWhiteSpace(recommendedAction))
            throw new ArgumentException("Every PacketCluster error needs a recommended action.", nameof(recommendedAction));
        ErrorId = errorId;
        Kind = kind;
        RecommendedAction = recommendedAction;
        Target = target;
    }

    public string ErrorId { get; }
    public ErrorKind Kind { get; }

    /// <summary>What the user should do about it: ErrorDetails.RecommendedAction of the error record.</summary>
    public string RecommendedAction { get; }

    public object? Target { get; }
}
