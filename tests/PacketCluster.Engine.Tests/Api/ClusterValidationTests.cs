using PacketCluster.Engine.Api;
using PacketCluster.Models;
using Xunit;

namespace PacketCluster.Engine.Tests.Api;

public class ClusterValidationTests
{
    private static PacketClusterConfig SeedConfig() =>
        ClusterConfigReader.ReadDirectory(Path.Combine(AppContext.BaseDirectory, "testdata", "seed")).Config;

    private static ValidationProblem SingleProblem(PacketClusterConfig config) => Assert.Single(ClusterValidation.Validate(config));

    [Fact]
    public void Bad_cluster_name_names_file_object_and_field()
    {
        var config = SeedConfig();
        config.Cluster.Metadata.Name = "Bad_Name";
        foreach (var m in config.Machines) m.Metadata.Labels!["cluster.k8s.io/cluster-name"] = "Bad_Name";
        var p = SingleProblem(config);
        Assert.Equal("InvalidName", p.ErrorId);
        Assert.EndsWith("cluster.yaml", p.Source);
        Assert.Equal("Cluster/Bad_Name", p.Object);
        Assert.Equal("metadata.name", p.Field);
    }

    [Fact]
    public void Overlapping_pod_and_service_ranges_are_rejected()
    {
        var config = SeedConfig();
        config.Cluster.Spec.ClusterNetwork!.Pods!.CidrBlocks = new() { "172.25.128.0/17" };
        var p = SingleProblem(config);
        Assert.Equal("OverlappingCidr", p.ErrorId);
        Assert.Equal("spec.clusterNetwork.pods.cidrBlocks[0]", p.Field);
    }

    [Fact]
    public void Invalid_cidr_is_rejected()
    {
        var config = SeedConfig();
        config.Cluster.Spec.ClusterNetwork!.Services!.CidrBlocks = new() { "172.25.0.0/40" };
        Assert.Equal("InvalidCidr", SingleProblem(config).ErrorId);
    }

    [Fact]
    public void A_definition_without_control_plane_is_rejected()
    {
        var config = SeedConfig();
        config.Machines.RemoveAt(0);
        Assert.Equal("NoControlPlane", SingleProblem(config).ErrorId);
    }

    [Fact]
    public void Roles_that_contradict_the_control_plane_rule_are_reported()
    {
        var config = SeedConfig();
        config.Machines[1].Spec.ProviderSpec!.Value!.Roles = new() { "Master" };
        var p = SingleProblem(config);
        Assert.Equal("InvalidValue", p.ErrorId);
        Assert.Equal("Machine/packet-node-0", p.Object);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var config = SeedConfig();
        config.Machines[0].Spec.ProviderSpec!.Value!.MachineType = null;
        config.Machines[1].Spec.Versions!.Kubelet = "v1.14.3";
        config.Machines[1].Metadata.Labels!.Remove("cluster.k8s.io/cluster-name");
        var problems = ClusterValidation.Validate(config);
        Assert.Equal(new[] { "RequiredFieldMissing", "InvalidVersion", "RequiredFieldMissing" }.OrderBy(x => x), problems.Select(p => p.ErrorId).OrderBy(x => x));
        var ex = Assert.Throws<ClusterConfigInvalidException>(() => ClusterValidation.ThrowIfInvalid(config));
        Assert.Contains("3 problems", ex.Message);
    }

    [Fact]
    public void Unknown_provider_api_version_is_an_unexpected_kind()
    {
        var config = SeedConfig();
        config.Cluster.Spec.ProviderSpec!.Value!.ApiVersion = "example.com/v1";
        Assert.Equal("UnexpectedKind", SingleProblem(config).ErrorId);
    }
}
