using PacketCluster.Engine.Metal;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>How a Packet resource that carries a cluster's name tag relates to one cluster of that name.</summary>
public enum ResourceOwnership
{
    /// <summary>Tagged with this cluster's unique identity.</summary>
    Ours,

    /// <summary>Tagged with the name only: made by an older version, by the 2019 provider or by hand. Never deleted or adopted on the name alone.</summary>
    Untagged,

    /// <summary>Tagged with another cluster's identity: another cluster of the same name (another state folder, colleague or CI job).</summary>
    Foreign,
}

/// <summary>
/// A cluster's name and its unique identity. The name is what the seed tagged devices with and what people type;
/// the uid is generated once when the cluster is first recorded, kept in the Cluster's
/// <see cref="UidAnnotation"/> (and the CA Secret), carried through the pivot, and tagged on every device and IP
/// reservation we create. Ownership — adopting, looking up, deleting — is decided by the uid, never the name alone.
/// </summary>
public readonly record struct ClusterIdentity(string Name, string? Uid)
{
    public const string UidAnnotation = "cluster.k8s.io/cluster-uid";

    /// <summary>The identity the Cluster object records (Uid null for a cluster an older version recorded).</summary>
    public static ClusterIdentity Of(Cluster cluster) =>
        new(cluster.Name, cluster.Metadata.Annotations?.GetValueOrDefault(UidAnnotation) is { Length: > 0 } uid ? uid : null);

    /// <summary>A fresh identity: lower-case UUID, safe in a tag, an annotation and a label value.</summary>
    public static string NewUid() => Guid.NewGuid().ToString("D");

    public ResourceOwnership OwnershipOf(IEnumerable<string> tags) => DeviceTags.ClusterUidOf(tags) switch
    {
        null => ResourceOwnership.Untagged,
        var uid when Uid is not null && string.Equals(uid, Uid, StringComparison.Ordinal) => ResourceOwnership.Ours,
        _ => ResourceOwnership.Foreign,
    };

    /// <summary>
    /// A device is this cluster's when it carries its uid, or — made by an older version, with the name tag only — when
    /// its machine-uid tag is one of this cluster's Machines'.
    /// </summary>
    public bool OwnsDevice(IEnumerable<string> tags, IReadOnlySet<string> machineUids) => OwnershipOf(tags) switch
    {
        ResourceOwnership.Ours => true,
        ResourceOwnership.Untagged => tags.Any(t => t.StartsWith(DeviceTags.MachineUidPrefix, StringComparison.Ordinal) && machineUids.Contains(t[DeviceTags.MachineUidPrefix.Length..])),
        _ => false,
    };

    /// <summary>
    /// A reservation is this cluster's when it carries its uid, or — with the name tag only — when it is the endpoint the
    /// cluster recorded.
    /// </summary>
    public bool OwnsReservation(IEnumerable<string> tags, string? address, string? recordedEndpoint) => OwnershipOf(tags) switch
    {
        ResourceOwnership.Ours => true,
        ResourceOwnership.Untagged => recordedEndpoint is not null && string.Equals(address, recordedEndpoint, StringComparison.Ordinal),
        _ => false,
    };

    /// <summary>The tags every device and reservation of this cluster carries: the seed's name tag (add-ons read it) and the identity.</summary>
    public IReadOnlyList<string> Tags() => Uid is null
        ? throw new InvalidOperationException($"Cluster '{Name}' has no identity yet; nothing may be created for it.")
        : [DeviceTags.ClusterId(Name), DeviceTags.ClusterUid(Uid)];

    public override string ToString() => Uid is null ? $"{Name} (no identity recorded)" : $"{Name} (uid {Uid})";
}
