using PacketCluster.Engine.Api;
using Xunit;

namespace PacketCluster.Engine.Tests.Api;

public class ClusterConfigReaderTests
{
    private static readonly string Seed = Path.Combine(AppContext.BaseDirectory, "testdata", "seed");

    [Fact]
    public void Reads_the_seed_generate_yaml_output_unchanged()
    {
        var result = ClusterConfigReader.ReadDirectory(Seed);
        var config = result.Config;
        Assert.Equal("test1-x7k2p", config.Name);
        Assert.Equal("3c5f4a2e-55aa-4b8c-9d0e-1f2a3b4c5d6e", config.ProjectId);
        Assert.Equal(2, config.Machines.Count);
        Assert.Equal(1, config.ControlPlaneCount);
        Assert.Equal("ubuntu_18_04", config.Machines[0].Spec.ProviderSpec!.Value!.OS);
        Assert.Equal("1.14.3", config.KubernetesVersion);
        Assert.Contains("image: ubuntu_18_04", result.MachineConfigsYaml);
        Assert.Empty(ClusterValidation.Validate(config));
    }

    [Fact]
    public void Reports_problems_of_every_file_together_and_writes_nothing()
    {
        var dir = CopySeed();
        File.WriteAllText(Path.Combine(dir, "cluster.yaml"), "kind: Cluster\nmetadata: {name: c}\nspec: [\n");
        File.WriteAllText(Path.Combine(dir, "machines.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n");
        var before = Snapshot(dir);

        var ex = Assert.Throws<ClusterConfigInvalidException>(() => ClusterConfigReader.ReadDirectory(dir));

        Assert.Equal("InvalidYaml", ex.ErrorId);
        Assert.Contains(ex.Problems, p => p.ErrorId == "UnexpectedKind" && p.Source.EndsWith("machines.yaml") && p.Message.Contains("'Pod'"));
        Assert.Equal(before, Snapshot(dir));
    }

    [Fact]
    public void Json_files_read_like_yaml()
    {
        var dir = CopySeed();
        var cluster = ClusterConfigReader.ReadDirectory(dir).Config.Cluster;
        File.WriteAllText(Path.Combine(dir, "cluster.yaml"), ResourceCodec.ToJson(cluster));
        var again = ClusterConfigReader.ReadDirectory(dir).Config.Cluster;
        Assert.Equal(ResourceCodec.ToJson(cluster), ResourceCodec.ToJson(again));
        Assert.Equal("172.26.0.0/16", again.Spec.ClusterNetwork!.Pods!.CidrBlocks![0]);
    }

    [Fact]
    public void Missing_folder_is_a_clear_not_found()
    {
        var ex = Assert.Throws<PacketClusterException>(() => ClusterConfigReader.ReadDirectory(Path.Combine(Path.GetTempPath(), "no-such-" + Guid.NewGuid())));
        Assert.Equal("ClusterConfigNotFound", ex.ErrorId);
        Assert.Contains("New-PacketClusterConfig", ex.Message);
    }

    [Fact]
    public void Manifest_documents_need_kind_and_name()
    {
        var dir = CopySeed();
        File.AppendAllText(Path.Combine(dir, "addons.yaml"), "---\napiVersion: v1\nkind: ConfigMap\n");
        var ex = Assert.Throws<ClusterConfigInvalidException>(() => ClusterConfigReader.ReadDirectory(dir));
        Assert.Equal("InvalidResource", ex.ErrorId);
        Assert.Contains("addons.yaml", ex.Message);
    }

    internal static string CopySeed()
    {
        var dir = Directory.CreateTempSubdirectory("pc-seed-").FullName;
        foreach (var f in Directory.GetFiles(Seed, "*.yaml")) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    private static string Snapshot(string dir) =>
        string.Join("|", Directory.GetFiles(dir).OrderBy(f => f).Select(f => Path.GetFileName(f) + ":" + File.ReadAllText(f).GetHashCode()));
}
