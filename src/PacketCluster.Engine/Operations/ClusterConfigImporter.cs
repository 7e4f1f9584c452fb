using PacketCluster.Engine.Api;
using PacketCluster.Engine.Bootstrap;

namespace PacketCluster.Engine.Operations;

/// <summary>What an import produced: the validated config, the catalogue in force and warnings for the user.</summary>
public sealed record ImportedClusterConfig(PacketCluster.Models.PacketClusterConfig Config, MachineConfigCatalogue Catalogue, IReadOnlyList<string> Warnings);

/// <summary>Reads a definition (ours or the seed's generate-yaml.sh output) and validates all of it, machine-config matches included.</summary>
public static class ClusterConfigImporter
{
    public static ImportedClusterConfig ImportDirectory(string directory) => Complete(ClusterConfigReader.ReadDirectory(directory));

    public static ImportedClusterConfig Import(ClusterConfigFiles files) => Complete(ClusterConfigReader.Read(files));

    private static ImportedClusterConfig Complete(ClusterConfigReadResult read)
    {
        // The seed shipped its catalogue inside provider-components.yaml; a definition that carries one uses it.
        var catalogue = read.MachineConfigsYaml is { } yaml
            ? MachineConfigCatalogue.Parse(yaml, $"{read.Config.ProviderComponentsFile} (ConfigMap {ClusterConfigReader.MachineConfigsKey})")
            : MachineConfigCatalogue.LoadShipped();
        ClusterValidation.ThrowIfInvalid(read.Config, MachineConfigCheck.For(catalogue));
        read.Config.MachineConfigs = catalogue.Entries.ToArray();
        return new ImportedClusterConfig(read.Config, catalogue, read.Warnings);
    }
}
