namespace PacketCluster.Engine.Metal;

/// <summary>5xx: the API failed; retried first when the request was idempotent.</summary>
public sealed class PacketApiServerException : PacketApiException
{
    public PacketApiServerException(string errorId, ErrorKind kind, string message, string recommendedAction, PacketApiFailure failure, Exception? inner = null)
        : base(errorId, kind, message, recommendedAction, failure, inner)
    {
    }
}
