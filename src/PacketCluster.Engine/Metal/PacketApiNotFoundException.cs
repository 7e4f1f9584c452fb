namespace PacketCluster.Engine.Metal;

/// <summary>404: no such resource (or a failed on-demand device that was moved out of the project).</summary>
public sealed class PacketApiNotFoundException : PacketApiException
{
    public PacketApiNotFoundException(string errorId, ErrorKind kind, string message, string recommendedAction, PacketApiFailure failure, Exception? inner = null)
        : base(errorId, kind, message, recommendedAction, failure, inner)
    {
    }
}
