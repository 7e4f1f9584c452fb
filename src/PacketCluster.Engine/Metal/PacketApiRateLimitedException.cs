namespace PacketCluster.Engine.Metal;

/// <summary>429: throttled, and still throttled after the retries idempotent requests get.</summary>
public sealed class PacketApiRateLimitedException : PacketApiException
{
    public PacketApiRateLimitedException(string errorId, ErrorKind kind, string message, string recommendedAction, PacketApiFailure failure, DateTimeOffset? rateLimitReset, Exception? inner = null)
        : base(errorId, kind, message, recommendedAction, failure, inner)
    {
        RateLimitReset = rateLimitReset;
    }

    /// <summary>When the API said the limit resets (X-RateLimit-Reset, unix epoch seconds), if it said.</summary>
    public DateTimeOffset? RateLimitReset { get; }
}
