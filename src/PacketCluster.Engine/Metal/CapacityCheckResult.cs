namespace PacketCluster.Engine.Metal;

/// <summary>Answer of a capacity check (<c>POST /capacity/metros</c> or <c>/capacity</c>): can <see cref="Quantity"/> servers of the plan be provisioned there?</summary>
public sealed record CapacityCheckResult
{
    public string? Metro { get; init; }
    public string? Facility { get; init; }
    public string? Plan { get; init; }

    /// <summary>A string in the spec, an int in the older API; both read.</summary>
    public int Quantity { get; init; }

    public bool Available { get; init; }
}
