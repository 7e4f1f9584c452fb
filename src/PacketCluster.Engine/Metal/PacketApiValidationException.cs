namespace PacketCluster.Engine.Metal;

/// <summary>422: the API refused the request (validation or state conflict; the API has no 409). The message is the API's own text, e.g. "ams1 is not a valid facility".</summary>
public sealed class PacketApiValidationException : PacketApiException
{
    public PacketApiValidationException(string errorId, ErrorKind kind, string message, string recommendedAction, PacketApiFailure failure, Exception? inner = null)
        : base(errorId, kind, message, recommendedAction, failure, inner)
    {
    }
}
