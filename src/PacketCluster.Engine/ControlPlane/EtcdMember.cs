namespace PacketCluster.Engine.ControlPlane;

/// <summary>One member of a cluster's stacked etcd, as its client API lists it. <see cref="Name"/> is empty until it has started.</summary>
public sealed record EtcdMember(string Id, string Name, IReadOnlyList<string> PeerUrls, IReadOnlyList<string> ClientUrls)
{
    /// <summary>The host of the member's first peer URL: the device address it runs on.</summary>
    public string? Host => PeerUrls.Count > 0 && Uri.TryCreate(PeerUrls[0], UriKind.Absolute, out var uri) ? uri.Host.Trim('[', ']') : null;

    public bool Started => Name.Length > 0;
}
