namespace PacketCluster.Engine.Store;

/// <summary>The store refused a write: the object exists already (ObjectExists) or changed since it was read (ObjectModified).</summary>
public sealed class StoreConflictException : PacketClusterException
{
    public const string ExistsErrorId = "ObjectExists";
    public const string ModifiedErrorId = "ObjectModified";

    public StoreConflictException(string errorId, string message, object? target = null)
        : base(errorId, errorId == ExistsErrorId ? ErrorKind.ResourceExists : ErrorKind.InvalidOperation, message,
            errorId == ExistsErrorId
                ? "Choose another name, or remove the existing object first."
                : "Run the command again: another command changed the object at the same time.", target)
    {
    }
}
