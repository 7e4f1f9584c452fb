namespace PacketCluster.Engine.Metal;

/// <summary>
/// No HTTP response: connection refused or dropped, DNS, TLS, or the per-request timeout (then <see cref="PacketClusterException.Kind"/>
/// is OperationTimeout). For a non-idempotent call (POST …/devices) the server may still have acted: look up by tag before retrying.
/// </summary>
public sealed class PacketApiConnectionException : PacketApiException
{
    public PacketApiConnectionException(string errorId, ErrorKind kind, string message, string recommendedAction, PacketApiFailure failure, Exception? inner = null)
        : base(errorId, kind, message, recommendedAction, failure, inner)
    {
    }
}
