namespace PacketCluster.Models;

/// <summary>What Invoke-PacketPivot moved: every object of the cluster, which were copied now, and which left the source.</summary>
public sealed class PacketPivotResult
{
    public string ClusterName { get; set; } = string.Empty;

    /// <summary>Where the objects live now: the target cluster's API server.</summary>
    public string? Target { get; set; }

    /// <summary>"Kind namespace/name" of every object the pivot covers.</summary>
    public string[] Objects { get; set; } = [];

    /// <summary>Objects this run created in the target (fewer on a re-run: the rest were there already).</summary>
    public string[] Copied { get; set; } = [];

    /// <summary>Objects this run removed from the source (without deleting any device).</summary>
    public string[] RemovedFromSource { get; set; } = [];

    /// <summary>Who manages the cluster now, as Get-PacketCluster's ManagedBy says (the manager pod holding the Lease); null after a move between two other clusters.</summary>
    public string? ManagedBy { get; set; }

    public override string ToString() => $"{ClusterName} → {Target}";
}
