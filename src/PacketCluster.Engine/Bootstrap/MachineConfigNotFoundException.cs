using PacketCluster.Models;

namespace PacketCluster.Engine.Bootstrap;

/// <summary>
/// No catalogue entry matches an image and Kubernetes versions exactly (ErrorId <c>MachineConfigNotFound</c>), or more
/// than one does (<c>AmbiguousMachineConfig</c>). <see cref="Available"/> holds what the catalogue offers, so a caller
/// can list it.
/// </summary>
public sealed class MachineConfigNotFoundException : PacketClusterException
{
    public const string NotFoundErrorId = "MachineConfigNotFound";
    public const string AmbiguousErrorId = "AmbiguousMachineConfig";

    internal MachineConfigNotFoundException(string errorId, ErrorKind kind, string message, string recommendedAction, MachineConfigInfo requested, IReadOnlyList<MachineConfigInfo> available)
        : base(errorId, kind, message, recommendedAction, requested)
    {
        Requested = requested;
        Available = available;
    }

    public MachineConfigInfo Requested { get; }

    /// <summary>For "not found": the entries for the requested image, or every entry when the image is unknown. For "ambiguous": the matches.</summary>
    public IReadOnlyList<MachineConfigInfo> Available { get; }
}
