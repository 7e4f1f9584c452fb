using PacketCluster.Engine.Api;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Operations;

/// <summary>A device or IP reservation in the project that carries a cluster's name tag.</summary>
/// <param name="AssignmentIds">For a reservation: its assignments, to undo before it is deleted.</param>
public sealed record NamedResource(string Kind, string Id, string Label, IReadOnlyList<string> Tags, IReadOnlyList<string> AssignmentIds)
{
    public const string DeviceKind = "device";
    public const string ReservationKind = "IP reservation";

    public override string ToString() => $"{Kind} {Label} ({Id}{(DeviceTags.ClusterUidOf(Tags) is { } uid ? $", cluster uid {uid}" : ", name tag only")})";

    /// <summary>
    /// Every device (not already deprovisioning) and IP reservation tagged with the cluster's name: two list calls.
    /// The devices list is filtered by the API; reservations have no tag filter in the contract.
    /// </summary>
    public static async Task<IReadOnlyList<NamedResource>> ListAsync(PacketClient client, string projectId, string clusterName, CancellationToken ct)
    {
        var tag = DeviceTags.ClusterId(clusterName);
        var devices = await client.ListDevicesAsync(projectId, new DeviceListFilter { Tag = tag }, ct).ConfigureAwait(false);
        var reservations = await client.ListIpReservationsAsync(projectId, null, ct).ConfigureAwait(false);
        return devices.Where(d => d.State != "deprovisioning" && d.Tags.Contains(tag, StringComparer.Ordinal))
            .Select(d => new NamedResource(DeviceKind, d.Id ?? "", d.Hostname ?? "", d.Tags, []))
            .Concat(reservations.Where(r => r.Tags.Contains(tag, StringComparer.Ordinal))
                .Select(r => new NamedResource(ReservationKind, r.Id ?? "", r.Address ?? "", r.Tags, r.Assignments.Select(a => a.Id).OfType<string>().ToList())))
            .ToList();
    }
}

/// <summary>
/// What one cluster may call its own in the project: resources tagged with its identity, and — for a cluster an older
/// version made — resources tagged by name only that it recorded itself (a device with one of its Machines' uid tags,
/// the elastic IP it recorded as its endpoint). Anything else carrying the name belongs to someone else.
/// </summary>
public sealed record ClusterClaim(ClusterIdentity Identity, IReadOnlySet<string> MachineUids, string? Endpoint)
{
    /// <summary>A cluster not recorded anywhere yet: nothing in the project is its own.</summary>
    public static ClusterClaim New(string name) => new(new ClusterIdentity(name, null), new HashSet<string>(), null);

    /// <summary>The claim of the cluster recorded in a store; a cluster not in it is <see cref="New"/>.</summary>
    public static async Task<ClusterClaim> FromStoreAsync(IStateStore store, string ns, string name, CancellationToken ct) =>
        await store.GetAsync<Cluster>(ns, name, ct).ConfigureAwait(false) is { } cluster ? await OfAsync(store, cluster, ct).ConfigureAwait(false) : New(name);

    /// <summary>The claim of a Cluster already read from <paramref name="store"/>: its identity, its Machines' uids and its endpoint.</summary>
    public static async Task<ClusterClaim> OfAsync(IStateStore store, Cluster cluster, CancellationToken ct)
    {
        var machines = await store.ListAsync<Machine>(cluster.Metadata.Namespace ?? ClusterOperations.DefaultNamespace,
            new Dictionary<string, string> { [ClusterValidation.ClusterNameLabel] = cluster.Name }, ct).ConfigureAwait(false);
        var uids = machines.Select(m => m.Metadata.Annotations?.GetValueOrDefault(MachineScope.MachineUidAnnotation))
            .OfType<string>().Where(u => u.Length > 0).ToHashSet(StringComparer.Ordinal);
        return new ClusterClaim(ClusterIdentity.Of(cluster), uids, cluster.Status?.ApiEndpoints?.FirstOrDefault()?.Host);
    }

    public bool Owns(NamedResource resource) => resource.Kind == NamedResource.DeviceKind
        ? Identity.OwnsDevice(resource.Tags, MachineUids)
        : Identity.OwnsReservation(resource.Tags, resource.Label, Endpoint);

    /// <summary>What Remove-PacketCluster deletes: its own, and with <paramref name="includeUntagged"/> also what carries the name tag only.</summary>
    public bool Deletes(NamedResource resource, bool includeUntagged) =>
        Owns(resource) || (includeUntagged && Identity.OwnershipOf(resource.Tags) == ResourceOwnership.Untagged);

    /// <summary>
    /// Refuses (<c>ClusterNameInUse</c>) when the project holds resources with this cluster's name that are not its
    /// own: creating would make a second cluster that the seed's tag, the add-ons and people cannot tell apart.
    /// </summary>
    public async Task EnsureNameFreeAsync(PacketClient client, string projectId, CancellationToken ct)
    {
        var others = (await NamedResource.ListAsync(client, projectId, Identity.Name, ct).ConfigureAwait(false)).Where(r => !Owns(r)).ToList();
        if (others.Count == 0) return;
        var shown = string.Join("; ", others.Take(5).Select(r => r.ToString())) + (others.Count > 5 ? $"; and {others.Count - 5} more" : "");
        var foreign = others.Any(r => DeviceTags.ClusterUidOf(r.Tags) is not null);
        throw new PacketClusterException("ClusterNameInUse", ErrorKind.ResourceExists,
            $"The name '{Identity.Name}' is already used in project {projectId} by {others.Count} resource(s) that are not this cluster's: {shown}. Nothing was created. "
            + "Choose another -Name (cluster names only need to be unique within a project)"
            + (foreign ? ", or remove that cluster with Remove-PacketCluster from the state folder (or management cluster) that holds it" : "")
            + (others.Any(r => DeviceTags.ClusterUidOf(r.Tags) is null) ? ". Resources tagged with the name only (made by hand or an older version) are removed with Remove-PacketCluster -IncludeUntagged" : "")
            + ". Get-PacketDevice -ClusterName lists them.",
            "Choose another -Name, or remove the resources that already use this name.", Identity.Name);
    }
}
