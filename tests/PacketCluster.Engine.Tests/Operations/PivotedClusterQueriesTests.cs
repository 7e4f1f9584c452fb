using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;
using PacketCluster.Engine.Tests.Pki;
using Xunit;

namespace PacketCluster.Engine.Tests.Operations;

/// <summary>A pivoted cluster whose management cluster is gone: the cmdlets' reads say so and what to do.</summary>
public sealed class PivotedClusterQueriesTests
{
    [Fact]
    public async Task A_management_cluster_that_does_not_answer_is_named_with_what_to_do()
    {
        using var state = new TempDirectory("pivoted");
        var directory = StateLocation.ClusterDirectory(state.Path, "gone");
        Directory.CreateDirectory(directory);
        // Nobody listens on a port just released.
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await File.WriteAllTextAsync(StateLocation.ManagementKubeconfig(directory), $"""
            apiVersion: v1
            kind: Config
            clusters: [{"{"}name: gone, cluster: {"{"}server: 'https://127.0.0.1:{port}', insecure-skip-tls-verify: true{"}"}{"}"}]
            users: [{"{"}name: gone, user: {"{"}token: not-a-secret{"}"}{"}"}]
            contexts: [{"{"}name: gone, context: {"{"}cluster: gone, user: gone{"}"}{"}"}]
            current-context: gone
            """);

        foreach (var read in new Func<Task>[]
                 {
                     () => ClusterQueries.GetClusterAsync(state.Path, "gone", default),
                     () => ClusterQueries.GetMachinesAsync(state.Path, "gone", default),
                     () => ClusterQueries.AdminKubeconfigAsync(state.Path, "gone", default),
                 })
        {
            var error = await Assert.ThrowsAsync<PacketClusterException>(read);
            Assert.Equal("ManagementClusterUnreachable", error.ErrorId);
            Assert.Contains(StateLocation.ManagementKubeconfig(directory), error.Message);
            Assert.Contains("remove the folder", error.Message);
        }
    }
}
