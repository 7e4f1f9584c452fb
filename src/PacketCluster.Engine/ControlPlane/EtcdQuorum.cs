namespace PacketCluster.Engine.ControlPlane;

/// <summary>etcd's arithmetic: a cluster of n members needs n/2+1 of them healthy to accept a write.</summary>
public static class EtcdQuorum
{
    public const string WouldLoseQuorumErrorId = "WouldLoseQuorum";

    public static int Of(int members) => members / 2 + 1;

    /// <summary>
    /// Whether removing the member on <paramref name="removingHost"/> would leave fewer healthy members than the smaller
    /// cluster needs. A removal of a member that is not there changes nothing and never loses quorum.
    /// </summary>
    public static bool WouldLose(IReadOnlyList<EtcdMember> members, IReadOnlySet<string> healthyIds, string? removingHost, string? removingName)
    {
        var removing = members.FirstOrDefault(m => (removingName is not null && m.Name == removingName) || (removingHost is not null && m.Host == removingHost));
        if (removing is null) return false;
        var remaining = members.Where(m => m.Id != removing.Id).ToList();
        if (remaining.Count == 0) return false; // the last member: the cluster goes with it (cluster delete)
        return remaining.Count(m => healthyIds.Contains(m.Id)) < Of(remaining.Count);
    }
}
