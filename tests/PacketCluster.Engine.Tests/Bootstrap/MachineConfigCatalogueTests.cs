using PacketCluster.Engine.Bootstrap;
using Xunit;

namespace PacketCluster.Engine.Tests.Bootstrap;

public class MachineConfigCatalogueTests
{
    // The seed's shipped file, shape for shape: one item, a worker and a master param, one script for both.
    private const string SeedStyle = """
        items:
        - machineParams:
          - image: ubuntu_18_04
            versions:
              kubelet: 1.14.3
            containerRuntime: docker-ce=5:18.09.7~3-0~ubuntu-bionic
          - image: ubuntu_18_04
            versions:
              kubelet: 1.14.3
              controlPlane: 1.14.3
            containerRuntime: docker-ce=5:18.09.7~3-0~ubuntu-bionic
          userdata: |
            echo "$ROLE"
        - machineParams:
          - image: ubuntu_22_04
            versions: {kubelet: 1.34.0, controlPlane: 1.34.0}
            containerRuntime: containerd
          - image: ubuntu_22_04
            versions: {kubelet: 1.34.0}
            containerRuntime: containerd
          userdata: |
            #cloud-config
            runcmd:
            - echo {{KUBERNETES_VERSION}}
        """;

    [Fact]
    public void Parse_ReadsSeedSchema_AndDetectsFormat()
    {
        var catalogue = MachineConfigCatalogue.Parse(SeedStyle, "test.yaml");

        Assert.Equal(4, catalogue.Entries.Count);
        var worker = catalogue.Entries[0];
        Assert.Equal(("ubuntu_18_04", "1.14.3", (string?)null, "docker-ce=5:18.09.7~3-0~ubuntu-bionic", "shell", "Worker"),
            (worker.Image, worker.Kubelet, worker.ControlPlane, worker.ContainerRuntime, worker.Format, worker.Role));
        Assert.Equal("ControlPlane", catalogue.Entries[1].Role);
        Assert.Equal("cloud-config", catalogue.Entries[2].Format);
    }

    [Fact]
    public void Find_MatchesExactly_AndWorkerOnlyMatchesEntriesWithoutControlPlane()
    {
        var catalogue = MachineConfigCatalogue.Parse(SeedStyle, "test.yaml");

        var master = catalogue.Find("ubuntu_18_04", "1.14.3", "1.14.3");
        var worker = catalogue.Find("ubuntu_18_04", "1.14.3", null);

        Assert.Equal("1.14.3", master.Info.ControlPlane);
        Assert.Null(worker.Info.ControlPlane);
        Assert.Equal("echo \"$ROLE\"\n", worker.UserdataTemplate);
        Assert.False(worker.IsCloudConfig);
        Assert.True(catalogue.Find("ubuntu_22_04", "1.34.0", "").IsCloudConfig);
    }

    [Theory]
    [InlineData("ubuntu_18_04", "1.14", null)]          // no prefix matching
    [InlineData("ubuntu_18_04", "1.14.3", "1.14.4")]    // control plane version must be equal too
    [InlineData("ubuntu_18_04", "v1.14.3", null)]
    [InlineData("Ubuntu_18_04", "1.14.3", null)]        // image is compared exactly
    public void Find_WithoutExactMatch_ThrowsNotFound(string image, string kubelet, string? controlPlane)
    {
        var catalogue = MachineConfigCatalogue.Parse(SeedStyle, "test.yaml");

        var e = Assert.Throws<MachineConfigNotFoundException>(() => catalogue.Find(image, kubelet, controlPlane));

        Assert.Equal("MachineConfigNotFound", e.ErrorId);
        Assert.Equal(ErrorKind.ObjectNotFound, e.Kind);
        Assert.Contains("test.yaml", e.Message);
    }

    [Fact]
    public void NotFound_ForKnownImage_ListsThatImagesVersions()
    {
        var catalogue = MachineConfigCatalogue.Parse(SeedStyle, "test.yaml");

        var e = Assert.Throws<MachineConfigNotFoundException>(() => catalogue.Find("ubuntu_22_04", "1.33.0", "1.33.0"));

        Assert.Contains("Available for ubuntu_22_04: kubelet 1.34.0 controlPlane 1.34.0 (control plane); kubelet 1.34.0 (worker)", e.Message);
        Assert.DoesNotContain("1.14.3", e.Message);
        Assert.Equal(2, e.Available.Count);
        Assert.Equal("1.33.0", e.Requested.ControlPlane);
    }

    [Fact]
    public void NotFound_ForUnknownImage_ListsEverything()
    {
        var catalogue = MachineConfigCatalogue.Parse(SeedStyle, "test.yaml");

        var e = Assert.Throws<MachineConfigNotFoundException>(() => catalogue.Find("debian_12", "1.34.0", null));

        Assert.Contains("Image debian_12 is not in the catalogue", e.Message);
        Assert.Contains("ubuntu_18_04 kubelet 1.14.3 (worker)", e.Message);
        Assert.Contains("ubuntu_22_04 kubelet 1.34.0 controlPlane 1.34.0 (control plane)", e.Message);
        Assert.Equal(4, e.Available.Count);
    }

    [Fact]
    public void Find_WithTwoMatches_ThrowsAmbiguous()
    {
        var yaml = SeedStyle + """

            - machineParams:
              - image: ubuntu_18_04
                versions: {kubelet: 1.14.3}
              userdata: echo again
            """;
        var catalogue = MachineConfigCatalogue.Parse(yaml, "dup.yaml");

        var e = Assert.Throws<MachineConfigNotFoundException>(() => catalogue.Find("ubuntu_18_04", "1.14.3", null));

        Assert.Equal("AmbiguousMachineConfig", e.ErrorId);
        Assert.Equal(2, e.Available.Count);
        Assert.Contains("dup.yaml", e.Message);
        // The master entry is still unique.
        Assert.NotNull(catalogue.Find("ubuntu_18_04", "1.14.3", "1.14.3"));
    }

    [Fact]
    public void Find_WithEmptyImage_IsAnArgumentError()
    {
        var catalogue = MachineConfigCatalogue.Parse(SeedStyle, "test.yaml");

        var e = Assert.Throws<PacketClusterException>(() => catalogue.Find("", "1.14.3", null));

        Assert.Equal(ErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void Parse_MalformedYaml_NamesSourceAndLine()
    {
        const string yaml = "items:\n- machineParams:\n  - image: [ubuntu\n";

        var e = Assert.Throws<PacketClusterException>(() => MachineConfigCatalogue.Parse(yaml, "/etc/machineconfig/machine_configs.yaml"));

        Assert.Equal("InvalidMachineConfigs", e.ErrorId);
        Assert.Equal(ErrorKind.InvalidData, e.Kind);
        Assert.Contains("/etc/machineconfig/machine_configs.yaml", e.Message);
        Assert.Matches(@"line [34]: not valid YAML", e.Message);
    }

    [Fact]
    public void Parse_SchemaErrors_AreAllReportedWithLines()
    {
        const string yaml = """
            items:
            - machineParams:
              - image: ubuntu_22_04
                versions: {kubelet: 1.34.0, control_plane: 1.34.0}
              - versions: {kubelet: 1.34.0}
            - machineParams: []
              userdata: |
                #cloud-config
                runcmd:
                - echo {{KUBELET}}
            """;

        var e = Assert.Throws<PacketClusterException>(() => MachineConfigCatalogue.Parse(yaml, "bad.yaml"));

        Assert.Contains("line 2: the item has no 'userdata' text", e.Message);
        Assert.Contains("line 4: unknown key 'control_plane'", e.Message);
        Assert.Contains("line 5: 'image' is missing", e.Message);
        Assert.Contains("line 6: 'machineParams' must be a non-empty list", e.Message);
        Assert.Contains("line 10: unknown placeholder '{{KUBELET}}'", e.Message);
    }

    [Theory]
    [InlineData("", "the file is empty")]
    [InlineData("- a\n- b\n", "expected a mapping with 'items'")]
    [InlineData("items: 3\n", "'items' must be a list")]
    public void Parse_WrongShape_IsInvalid(string yaml, string expected)
    {
        var e = Assert.Throws<PacketClusterException>(() => MachineConfigCatalogue.Parse(yaml, "x.yaml"));

        Assert.Equal("InvalidMachineConfigs", e.ErrorId);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ToYaml_RoundTrips()
    {
        var original = MachineConfigCatalogue.LoadShipped();

        var again = MachineConfigCatalogue.Parse(original.ToYaml(), "round-trip");

        Assert.Equal(original.Entries.Select(e => e.ToString() + e.ContainerRuntime + e.Format), again.Entries.Select(e => e.ToString() + e.ContainerRuntime + e.Format));
        foreach (var entry in original.Entries)
        {
            Assert.Equal(original.Find(entry.Image, entry.Kubelet, entry.ControlPlane).UserdataTemplate,
                again.Find(entry.Image, entry.Kubelet, entry.ControlPlane).UserdataTemplate);
        }
        Assert.Equal(again.ToYaml(), original.ToYaml());
    }

    [Fact]
    public void Shipped_CoversCurrentUbuntuAndTheSimulatorAndSeedVersions()
    {
        var catalogue = MachineConfigCatalogue.LoadShipped();

        var expected = new List<(string Image, string Version, string Format, string Runtime)>();
        foreach (var image in new[] { "ubuntu_22_04", "ubuntu_24_04" })
        {
            expected.Add((image, "1.34.0", "cloud-config", "containerd"));
            expected.Add((image, "1.35.0", "cloud-config", "containerd"));
            expected.Add((image, "1.36.0", "cloud-config", "containerd.io"));
        }
        expected.Add(("ubuntu_20_04", "1.20.2", "cloud-config", "containerd"));
        expected.Add(("ubuntu_22_04", "1.20.2", "cloud-config", "containerd"));
        expected.Add(("ubuntu_18_04", "1.14.3", "shell", "docker-ce=5:18.09.7~3-0~ubuntu-bionic"));

        foreach (var (image, version, format, runtime) in expected)
        {
            var cp = catalogue.Find(image, version, version);
            var worker = catalogue.Find(image, version, null);
            Assert.Equal((format, runtime), (cp.Info.Format, cp.Info.ContainerRuntime));
            Assert.Equal((format, runtime), (worker.Info.Format, worker.Info.ContainerRuntime));
        }
        Assert.Equal(expected.Count * 2, catalogue.Entries.Count);
    }
}
