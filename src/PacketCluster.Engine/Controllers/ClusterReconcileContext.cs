using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Store;
using PacketCluster.Engine.Workload;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// What one reconcile needs, shared by the Cluster and Machine reconcilers of one engine (one project). The
/// <see cref="Inventory"/> is shared so every Machine of a cluster reads the same device list, and <see cref="Nodes"/>
/// the same Node list of the workload cluster. Disposing it closes the workload-cluster clients it made.
/// </summary>
public sealed class ClusterReconcileContext : IDisposable
{
    private readonly IDisposable? _ownedNodeSource;

    public ClusterReconcileContext(IStateStore store, PacketClient packet, string projectId, IEngineLog log, TimeProvider time,
        MachineConfigCatalogue machineConfigs, DeviceInventory inventory, NodeInventory? nodes = null)
    {
        Store = store ?? throw new ArgumentNullException(nameof(store));
        Packet = packet ?? throw new ArgumentNullException(nameof(packet));
        ArgumentException.ThrowIfNullOrWhiteSpace(projectId);
        ProjectId = projectId;
        Log = log ?? NullEngineLog.Instance;
        Time = time ?? TimeProvider.System;
        MachineConfigs = machineConfigs ?? throw new ArgumentNullException(nameof(machineConfigs));
        Inventory = inventory ?? throw new ArgumentNullException(nameof(inventory));
        if (nodes is null)
        {
            var source = new KubernetesWorkloadCluster(store);
            _ownedNodeSource = source;
            nodes = new NodeInventory(source, Time, inventory.MaxAge);
        }
        Nodes = nodes;
        JoinDiagnostics = new JoinDiagnostics(this);
    }

    /// <summary>How the elastic-IP failover health-checks API servers; tests replace it.</summary>
    public ControlPlane.IApiServerProbe ApiServers { get; set; } = SharedProbe;

    private static readonly ControlPlane.HttpApiServerProbe SharedProbe = new();

    /// <summary>Per cluster: since when its elastic-IP holder has not answered (the failover threshold counts from there).</summary>
    internal System.Collections.Concurrent.ConcurrentDictionary<string, DateTimeOffset> EndpointUnhealthySince { get; } = new(StringComparer.Ordinal);

    /// <summary>A context whose inventory is built from the same client, project, clock and log.</summary>
    public static ClusterReconcileContext Create(IStateStore store, PacketClient packet, string projectId, IEngineLog? log = null,
        TimeProvider? time = null, MachineConfigCatalogue? machineConfigs = null, TimeSpan? inventoryMaxAge = null, NodeInventory? nodes = null)
    {
        time ??= TimeProvider.System;
        log ??= NullEngineLog.Instance;
        return new ClusterReconcileContext(store, packet, projectId, log, time, machineConfigs ?? MachineConfigCatalogue.LoadShipped(),
            new DeviceInventory(packet, projectId, time, log, inventoryMaxAge), nodes);
    }

    public IStateStore Store { get; }
    public PacketClient Packet { get; }
    public string ProjectId { get; }
    public IEngineLog Log { get; }
    public TimeProvider Time { get; }
    public MachineConfigCatalogue MachineConfigs { get; }
    public DeviceInventory Inventory { get; }
    public NodeInventory Nodes { get; }

    /// <summary>Here, not per reconciler: the manager makes its reconcilers anew each pass, and a device's userdata is read once.</summary>
    internal JoinDiagnostics JoinDiagnostics { get; }

    public void Dispose() => _ownedNodeSource?.Dispose();
}
