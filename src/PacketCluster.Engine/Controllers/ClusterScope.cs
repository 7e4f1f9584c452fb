using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// What one Cluster reconcile touches: the object as last written, a working copy of its status (patched once, in
/// the reconciler's finally) and the context.
/// </summary>
internal sealed class ClusterScope
{
    private readonly ClusterStatus _loadedStatus;

    private ClusterScope(ClusterReconcileContext context, Cluster cluster)
    {
        Context = context;
        Cluster = cluster;
        _loadedStatus = StatusCopy.Clone(cluster.Status ?? new ClusterStatus());
        Status = StatusCopy.Clone(_loadedStatus);
    }

    public ClusterReconcileContext Context { get; }
    public Cluster Cluster { get; private set; }
    public ClusterStatus Status { get; }
    public string Namespace => Cluster.Metadata.Namespace ?? "default";
    public string Name => Cluster.Name;
    public bool IsDeleting => Cluster.Metadata.DeletionTimestamp is not null;

    /// <summary>Set once the last finalizer is removed: the object is gone, there is no status to patch.</summary>
    public bool Released { get; set; }

    public static async Task<ClusterScope?> LoadAsync(ClusterReconcileContext context, string ns, string name, CancellationToken cancellationToken)
    {
        var cluster = await context.Store.GetAsync<Cluster>(ns, name, cancellationToken).ConfigureAwait(false);
        return cluster is null ? null : new ClusterScope(context, cluster);
    }

    /// <summary>Writes the spec/metadata (never status) and continues with the stored result.</summary>
    public async Task UpdateAsync(CancellationToken cancellationToken) =>
        Cluster = await Context.Store.UpdateAsync(Cluster, cancellationToken).ConfigureAwait(false);

    public void SetCondition(string type, bool status, string reason, string? message = null)
    {
        var conditions = Status.Conditions;
        Conditions.Set(ref conditions, type, status, reason, message, Context.Time.GetUtcNow());
        Status.Conditions = conditions;
    }

    /// <summary>The phase follows from what exists, never from where a step happened to be.</summary>
    public void SetPhaseFromFacts()
    {
        var certificates = Conditions.IsTrue(Status.Conditions, Conditions.CertificatesReady);
        var endpoint = Status.ApiEndpoints is { Count: > 0 };
        Status.Phase = IsDeleting ? Phases.Deleting
            : certificates && endpoint ? Phases.Provisioned
            : certificates || endpoint ? Phases.Provisioning
            : Phases.Pending;
    }

    public async Task PatchStatusAsync(CancellationToken cancellationToken)
    {
        if (Released || StatusCopy.Same(Status, _loadedStatus)) return;
        Cluster.Status = Status;
        // Lost: the next pass recomputes the status from facts (a Machine finds its device again by tag).
        if (await StatusWrite.TryAsync(Context, Cluster, cancellationToken).ConfigureAwait(false) is { } stored) Cluster = stored;
    }
}
