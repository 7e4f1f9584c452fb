namespace PacketCluster.Engine.Metal;

/// <summary>403: the key may not touch this resource; a device whose provisioning failed also answers 403 (CAPP treats it as gone).</summary>
public sealed class PacketApiForbiddenException : PacketApiException
{
    public PacketApiForbiddenException(string errorId, ErrorKind kind, string message, string recommendedAction, PacketApiFailure failure, Exception? inner = null)
        : base(errorId, kind, message, recommendedAction, failure, inner)
    {
    }
}
