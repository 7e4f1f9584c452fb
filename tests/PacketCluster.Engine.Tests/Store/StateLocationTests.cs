using PacketCluster.Engine.Store;
using PacketCluster.Engine.Tests.Pki;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Store;

public sealed class StateLocationTests
{
    private static Func<string, string?> Environment(string? home) => name => name == StateLocation.HomeVariable ? home : null;

    [Fact]
    public void An_explicit_path_wins_over_the_environment()
    {
        Assert.Equal("/srv/state", StateLocation.ResolveRoot("/srv/state", Environment("/env/state")));
    }

    [Fact]
    public void PACKETCLUSTER_HOME_wins_over_the_home_folder()
    {
        Assert.Equal("/env/state", StateLocation.ResolveRoot(null, Environment("/env/state")));
        Assert.Equal("/env/state", StateLocation.ResolveRoot("  ", Environment("/env/state")));
    }

    [Fact]
    public void The_default_is_dot_packetcluster_in_the_home_folder()
    {
        var home = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile);
        Assert.Equal(Path.Combine(home, ".packetcluster"), StateLocation.ResolveRoot(null, Environment(null)));
    }

    [Fact]
    public void A_cluster_directory_is_the_cluster_name_under_the_root()
    {
        Assert.Equal(Path.Combine("/srv/state", "demo"), StateLocation.ClusterDirectory("/srv/state", "demo"));
        Assert.Equal("InvalidResourceName", Assert.Throws<PacketClusterException>(() => StateLocation.ClusterDirectory("/srv/state", "../etc")).ErrorId);
    }

    [Fact]
    public async Task Cluster_names_are_the_folders_that_hold_a_cluster_object()
    {
        using var temp = new TempDirectory("state-root");
        Assert.Empty(StateLocation.ListClusterNames(Path.Combine(temp.Path, "missing")));
        foreach (var name in new[] { "zeta", "alpha" })
        {
            await using var store = FileStore.Open(StateLocation.ClusterDirectory(temp.Path, name));
            await store.CreateAsync(new Cluster { Metadata = { Name = name } }, CancellationToken.None);
        }
        await using (FileStore.Open(StateLocation.ClusterDirectory(temp.Path, "empty"))) { }
        Directory.CreateDirectory(Path.Combine(temp.Path, "unrelated"));

        Assert.Equal(["alpha", "zeta"], StateLocation.ListClusterNames(temp.Path));
    }
}
