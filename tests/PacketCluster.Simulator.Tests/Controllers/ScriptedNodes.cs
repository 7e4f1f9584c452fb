using PacketCluster.Engine.Workload;

namespace PacketCluster.Simulator.Tests.Controllers;

/// <summary>A workload cluster whose Node list a test scripts per round, and which records what the reconcilers did to it.</summary>
internal sealed class ScriptedNodes : IWorkloadCluster
{
    public Func<IReadOnlyList<WorkloadNode>>? Answer { get; set; }
    public int Calls { get; private set; }

    public Task<IReadOnlyList<WorkloadNode>> ListNodesAsync(string ns, string clusterName, CancellationToken cancellationToken)
    {
        Calls++;
        return Answer is { } answer ? Task.FromResult(answer()) : throw new WorkloadClusterUnavailableException(clusterName, "connection refused");
    }

    public List<string> Deleted { get; } = [];

    public Task DeleteNodeAsync(string ns, string clusterName, string nodeName, CancellationToken cancellationToken)
    {
        Deleted.Add(nodeName);
        return Task.CompletedTask;
    }

    public List<string> Registered { get; } = [];
    public List<string> Revoked { get; } = [];

    public Task RegisterBootstrapTokenAsync(string ns, string clusterName, PacketCluster.Engine.Pki.BootstrapToken token, DateTimeOffset expiration, CancellationToken cancellationToken)
    {
        Registered.Add(token.Id);
        return Task.CompletedTask;
    }

    public Task RevokeBootstrapTokenAsync(string ns, string clusterName, string tokenId, CancellationToken cancellationToken)
    {
        Revoked.Add(tokenId);
        return Task.CompletedTask;
    }

    public HashSet<string> MissingTokens { get; } = [];

    public Task<bool> BootstrapTokenExistsAsync(string ns, string clusterName, string tokenId, CancellationToken cancellationToken) =>
        Task.FromResult(!MissingTokens.Contains(tokenId));
}
