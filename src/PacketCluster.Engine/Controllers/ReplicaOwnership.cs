using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// Controller owner references between MachineDeployment → MachineSet → Machine. The state store has no garbage
/// collector, so these references are what the reconcilers follow to delete descendants explicitly.
/// </summary>
public static class ReplicaOwnership
{
    /// <summary>The owner reference with controller=true, if any.</summary>
    public static OwnerReference? ControllerOf(ResourceObject resource) =>
        resource.Metadata.OwnerReferences?.FirstOrDefault(r => r.Controller == true);

    /// <summary>True when <paramref name="owner"/> is the controller of <paramref name="resource"/> (matched by uid).</summary>
    public static bool IsControlledBy(ResourceObject resource, ResourceObject owner) =>
        ControllerOf(resource) is { } reference && !string.IsNullOrEmpty(reference.Uid) && reference.Uid == owner.Metadata.Uid;

    /// <summary>A controller reference to <paramref name="owner"/>; blockOwnerDeletion as a Kubernetes garbage collector would expect.</summary>
    public static OwnerReference ControllerReference(ResourceObject owner) => new()
    {
        ApiVersion = owner.ApiVersion ?? ResourceObject.ClusterApiVersion,
        Kind = owner.Kind,
        Name = owner.Metadata.Name,
        Uid = owner.Metadata.Uid,
        Controller = true,
        BlockOwnerDeletion = true,
    };

    /// <summary>Makes <paramref name="owner"/> the controller of <paramref name="resource"/>, keeping non-controller references.</summary>
    public static void Adopt(ResourceObject resource, ResourceObject owner)
    {
        var references = resource.Metadata.OwnerReferences ??= new List<OwnerReference>();
        references.RemoveAll(r => r.Controller == true);
        references.Add(ControllerReference(owner));
    }

    public static bool IsDeleting(ResourceObject resource) => resource.Metadata.DeletionTimestamp is not null;

    public static bool HasFinalizer(ResourceObject resource, string finalizer) =>
        resource.Metadata.Finalizers?.Contains(finalizer) == true;
}
