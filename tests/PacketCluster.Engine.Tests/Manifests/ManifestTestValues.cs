using PacketCluster.Engine.Manifests;

namespace PacketCluster.Engine.Tests.Manifests;

/// <summary>Fixed inputs for manifest tests and golden files.</summary>
internal static class ManifestTestValues
{
    // Distinctive so a leak is easy to find with a plain substring search.
    public const string ApiKey = "TESTKEYnotARealPacketKey0123456789";
    public const string ProjectId = "3fa7f960-01ef-4f43-adef-7c743d97a2e1";
    public const string ClusterName = "test1-ab12c";
    public const string Version = "0.1.0";

    public const string MachineConfigsYaml =
        "items:\n" +
        "- machineParams:\n" +
        "  - image: ubuntu_18_04\n" +
        "    versions:\n" +
        "      kubelet: 1.14.3\n" +
        "      controlPlane: 1.14.3\n" +
        "    containerRuntime: docker-ce=5:18.09.7~3-0~ubuntu-bionic\n" +
        "  userdata: |\n" +
        "    #!/bin/bash\n" +
        "    echo \"role: ${ROLE}\"\n";

    public static ProviderComponentsOptions ProviderComponents() => new()
    {
        ClusterName = ClusterName,
        ProjectId = ProjectId,
        ApiKey = ApiKey,
        MachineConfigsYaml = MachineConfigsYaml,
        Version = Version,
    };

    public static AddonsOptions Addons() => new()
    {
        ClusterName = ClusterName,
        ProjectId = ProjectId,
        ApiKey = ApiKey,
        Metro = "da",
        Version = Version,
    };
}
