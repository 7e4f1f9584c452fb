namespace PacketCluster.Engine;

/// <summary>What kind of failure an engine exception is; the cmdlets map it to an ErrorCategory in one table.</summary>
public enum ErrorKind
{
    InvalidArgument,
    InvalidData,
    ObjectNotFound,
    ResourceExists,
    InvalidOperation,
    AuthenticationError,
    PermissionDenied,
    ConnectionError,
    OperationTimeout,
    WriteError,
}
