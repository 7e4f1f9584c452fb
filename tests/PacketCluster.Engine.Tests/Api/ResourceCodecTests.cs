using PacketCluster.Engine;
using PacketCluster.Engine.Api;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Api;

public class ResourceCodecTests
{
    private static SourceDocument Single(string yaml) => Assert.Single(YamlJsonBridge.Parse(yaml, "test.yaml"));

    [Fact]
    public void Reads_seed_spellings_case_insensitively_and_keeps_version_text()
    {
        var machine = ResourceCodec.Deserialize<Machine>(Single("""
            apiVersion: cluster.k8s.io/v1alpha1
            kind: Machine
            metadata: {name: m1}
            spec:
              providerSpec:
                value:
                  apiVersion: packetprovider/v1alpha1
                  OS: ubuntu_18_04
                  projectID: 12345
                  spotInstance: "true"
              versions: {kubelet: 1.20, controlPlane: 1.14.3}
            """));
        Assert.Equal("ubuntu_18_04", machine.Spec.ProviderSpec!.Value!.OS);
        Assert.Equal("12345", machine.Spec.ProviderSpec.Value.ProjectID);
        Assert.True(machine.Spec.ProviderSpec.Value.SpotInstance);
        Assert.Equal("1.20", machine.Spec.Versions!.Kubelet);
        Assert.True(machine.IsControlPlane);
    }

    [Fact]
    public void Unknown_keys_become_warnings_with_their_path()
    {
        var warnings = new List<string>();
        ResourceCodec.Deserialize<Cluster>(Single("""
            apiVersion: cluster.k8s.io/v1alpha1
            kind: Cluster
            metadata: {name: c1}
            spec:
              colour: blue
              providerSpec: {value: {projectID: p, flavour: x}}
            """), warnings);
        Assert.Equal(2, warnings.Count);
        Assert.Contains(warnings, w => w.Contains("'spec.colour'") && w.Contains("Cluster/c1") && w.StartsWith("test.yaml"));
        Assert.Contains(warnings, w => w.Contains("'spec.providerSpec.value.flavour'"));
    }

    [Fact]
    public void Round_trips_through_yaml_without_losing_strings_that_look_like_numbers()
    {
        var machine = new Machine
        {
            Metadata = new ObjectMeta { Name = "m1", Labels = new() { ["a"] = "true", ["b"] = "0644" } },
            Spec = new MachineSpec { Versions = new MachineVersionInfo { Kubelet = "1.20" }, ProviderSpec = new MachineProviderSpec { Value = new PacketMachineProviderSpec { ProjectID = "123", OS = "ubuntu_20_04" } } },
        };
        var yaml = ResourceCodec.ToYaml(machine);
        var back = ResourceCodec.Deserialize<Machine>(Single(yaml));
        Assert.Equal(ResourceCodec.ToJson(machine), ResourceCodec.ToJson(back));
        Assert.DoesNotContain("isControlPlane", yaml, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Multi_line_strings_are_written_as_literal_blocks()
    {
        var yaml = YamlJsonBridge.ToYaml(new[] { System.Text.Json.Nodes.JsonNode.Parse("""{"data":{"f":"line1\nline2\n"}}""") });
        Assert.Contains("f: |", yaml);
        var back = Single(yaml);
        Assert.Equal("line1\nline2\n", back.Root!["data"]!["f"]!.GetValue<string>());
    }

    [Fact]
    public void Syntax_errors_name_the_file_and_line()
    {
        var ex = Assert.Throws<PacketClusterException>(() => YamlJsonBridge.Parse("a: b\n  c: [d\n", "broken.yaml"));
        Assert.Equal("InvalidYaml", ex.ErrorId);
        Assert.StartsWith("broken.yaml: line ", ex.Message);
    }

    [Fact]
    public void Wrong_shapes_name_the_field()
    {
        var ex = Assert.Throws<PacketClusterException>(() => ResourceCodec.Deserialize<Cluster>(Single("""
            kind: Cluster
            metadata: {name: c1}
            spec: {clusterNetwork: {pods: {cidrBlocks: {a: b}}}}
            """)));
        Assert.Equal("InvalidResource", ex.ErrorId);
        Assert.Contains("spec.clusterNetwork.pods.cidrBlocks", ex.Message);
    }
}
