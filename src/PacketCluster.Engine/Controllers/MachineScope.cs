using PacketCluster.Engine.Api;
using PacketCluster.Engine.Metal;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// What one Machine reconcile touches: the Machine as last written, a working copy of its status (patched once, in
/// the reconciler's finally), its Cluster, and the device observed during this pass.
/// </summary>
internal sealed class MachineScope
{
    /// <summary>Written to the store before any device is created; the device carries it as a tag (PRODUCT.md §3).</summary>
    public const string MachineUidAnnotation = "cluster.k8s.io/machine-uid";

    private readonly MachineStatus _loadedStatus;

    private MachineScope(ClusterReconcileContext context, Machine machine, Cluster? cluster)
    {
        Context = context;
        Machine = machine;
        Cluster = cluster;
        _loadedStatus = StatusCopy.Clone(machine.Status ?? new MachineStatus());
        Status = StatusCopy.Clone(_loadedStatus);
    }

    public ClusterReconcileContext Context { get; }
    public Machine Machine { get; private set; }
    public Cluster? Cluster { get; }
    public MachineStatus Status { get; }
    public string Namespace => Machine.Metadata.Namespace ?? "default";
    public string Name => Machine.Name;
    public bool IsDeleting => Machine.Metadata.DeletionTimestamp is not null;

    /// <summary>The cluster the Machine belongs to (its cluster.k8s.io/cluster-name label); the inventory is keyed by it.</summary>
    public string? ClusterName => Machine.Metadata.Labels?.GetValueOrDefault(ClusterValidation.ClusterNameLabel);

    /// <summary>
    /// The identity the Machine's devices must carry: its Cluster's. Without the Cluster (or before it has a uid) the
    /// uid is unknown, and only devices an older version tagged by name alone can be found.
    /// </summary>
    public ClusterIdentity Identity => Cluster is not null ? ClusterIdentity.Of(Cluster) : new ClusterIdentity(ClusterName ?? string.Empty, null);

    public string? MachineUid => Machine.Metadata.Annotations?.GetValueOrDefault(MachineUidAnnotation);

    /// <summary>The device as seen in this pass's inventory; null when there is none (yet, or any more).</summary>
    public Device? Device { get; set; }

    public bool Released { get; set; }

    public static async Task<MachineScope?> LoadAsync(ClusterReconcileContext context, string ns, string name, CancellationToken cancellationToken)
    {
        var machine = await context.Store.GetAsync<Machine>(ns, name, cancellationToken).ConfigureAwait(false);
        if (machine is null) return null;
        var clusterName = machine.Metadata.Labels?.GetValueOrDefault(ClusterValidation.ClusterNameLabel);
        var cluster = string.IsNullOrEmpty(clusterName) ? null
            : await context.Store.GetAsync<Cluster>(ns, clusterName, cancellationToken).ConfigureAwait(false);
        return new MachineScope(context, machine, cluster);
    }

    public async Task UpdateAsync(CancellationToken cancellationToken) =>
        Machine = await Context.Store.UpdateAsync(Machine, cancellationToken).ConfigureAwait(false);

    public PacketMachineProviderStatus ProviderStatus => Status.ProviderStatus ??= new PacketMachineProviderStatus();

    public void SetCondition(string type, bool status, string reason, string? message = null)
    {
        var conditions = Status.Conditions;
        Conditions.Set(ref conditions, type, status, reason, message, Context.Time.GetUtcNow());
        Status.Conditions = conditions;
    }

    public void Fail(string reason, string message)
    {
        Status.ErrorReason = reason;
        Status.ErrorMessage = message;
        Context.Log.Warning($"Machine {Namespace}/{Name}: {reason}: {message}");
    }

    /// <summary>Phase from facts only: deletion, a recorded error, the device's observed state.</summary>
    public void SetPhaseFromFacts()
    {
        var state = Status.ProviderStatus?.State;
        var phase = IsDeleting ? Phases.Deleting
            : !string.IsNullOrEmpty(Status.ErrorReason) ? Phases.Failed
            : Status.NodeRef is not null && Conditions.IsTrue(Status.Conditions, Conditions.NodeReady) ? Phases.Running
            : state == "active" ? Phases.Provisioned
            : !string.IsNullOrEmpty(Status.ProviderStatus?.DeviceID) ? Phases.Provisioning
            : Phases.Pending;
        if (phase != Status.Phase) Status.LastUpdated = Context.Time.GetUtcNow();
        Status.Phase = phase;
    }

    public async Task PatchStatusAsync(CancellationToken cancellationToken)
    {
        if (Released || StatusCopy.Same(Status, _loadedStatus)) return;
        Machine.Status = Status;
        // Lost: the next pass recomputes the status from facts (a Machine finds its device again by tag).
        if (await StatusWrite.TryAsync(Context, Machine, cancellationToken).ConfigureAwait(false) is { } stored) Machine = stored;
    }
}
