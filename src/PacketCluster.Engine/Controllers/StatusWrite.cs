using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>The scopes' status write: a lost race or a vanished object costs nothing, the next pass recomputes the status from facts.</summary>
internal static class StatusWrite
{
    /// <summary>The stored object, or null when the write was lost (conflict, object gone).</summary>
    public static async Task<T?> TryAsync<T>(ClusterReconcileContext context, T resource, CancellationToken cancellationToken) where T : ResourceObject, new()
    {
        try
        {
            return await context.Store.UpdateStatusAsync(resource, cancellationToken).ConfigureAwait(false);
        }
        catch (PacketClusterException e) when (e is Store.StoreConflictException || e.ErrorId == Store.FileStore.NotFoundErrorId)
        {
            context.Log.Debug($"{resource.Kind} {resource.Metadata.Namespace}/{resource.Name}: status not written ({e.Message}).");
            return null;
        }
    }
}
