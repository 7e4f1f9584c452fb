namespace PacketCluster.Engine.Store;

/// <summary>A store opened for one operation and closed after it: the embedded FileStore, or a KubernetesStore once pivoted.</summary>
public interface IOwnedStateStore : IStateStore, IAsyncDisposable
{
}
