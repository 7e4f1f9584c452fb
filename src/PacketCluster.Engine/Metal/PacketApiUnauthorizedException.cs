namespace PacketCluster.Engine.Metal;

/// <summary>401: the key was rejected. ErrorId PacketApiUnauthorized; the message says to check the key or run Connect-PacketApi.</summary>
public sealed class PacketApiUnauthorizedException : PacketApiException
{
    public PacketApiUnauthorizedException(string errorId, ErrorKind kind, string message, string recommendedAction, PacketApiFailure failure, Exception? inner = null)
        : base(errorId, kind, message, recommendedAction, failure, inner)
    {
    }
}
