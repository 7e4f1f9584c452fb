namespace PacketCluster.Engine.Metal;

/// <summary>A price (<c>pricing</c>, or <c>price</c> on an availability entry); USD per hour.</summary>
public sealed record PlanPrice
{
    public double? Hour { get; init; }
}
