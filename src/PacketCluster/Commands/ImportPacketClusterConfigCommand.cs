using System.Management.Automation;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Operations;
using PacketCluster.Models;

namespace PacketCluster.Commands;

/// <summary>Reads and validates a cluster definition folder (or the seed's generate-yaml.sh files) into a config object.</summary>
/// <remarks>
/// Import-PacketClusterConfig reads cluster.yaml, machines.yaml (Machines, a MachineList, MachineSets and
/// MachineDeployments), provider-components.yaml and addons.yaml, and validates all of it at once: kinds, DNS-1123
/// names, CIDRs that parse and do not overlap, required fields, the control-plane rule (a Machine is a control plane
/// iff spec.versions.controlPlane is set) and that every machine matches exactly one machine-config entry. Keys match
/// case-insensitively (the seed's OS: works) and unknown keys produce warnings. Nothing is written.
///
/// Errors carry stable ids (InvalidYaml, UnexpectedKind, InvalidName, InvalidCidr, OverlappingCidr,
/// RequiredFieldMissing, MachineConfigNotFound, ClusterConfigNotFound) and name the file, object and field.
/// </remarks>
/// <example>
/// <code>Import-PacketClusterConfig ./mycluster</code>
/// <para>Reads the folder New-PacketClusterConfig wrote and returns the config object.</para>
/// </example>
/// <example>
/// <code>Import-PacketClusterConfig -ClusterFile out/packet/cluster.yaml -MachinesFile out/packet/machines.yaml -ProviderComponentsFile out/packet/provider-components.yaml -AddonsFile out/packet/addons.yaml</code>
/// <para>Reads the four files the 2019 generate-yaml.sh wrote, as clusterctl took them.</para>
/// </example>
[Cmdlet(VerbsData.Import, "PacketClusterConfig", HelpUri = HelpLinks.Base + "Import-PacketClusterConfig.md", DefaultParameterSetName = DirectorySet)]
[OutputType(typeof(PacketClusterConfig))]
public sealed class ImportPacketClusterConfigCommand : PacketCmdlet
{
    private const string DirectorySet = "Directory";
    private const string FilesSet = "Files";

    /// <summary>Folder holding cluster.yaml, machines.yaml and optionally provider-components.yaml and addons.yaml.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = DirectorySet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "Directory")]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Path of the file with the Cluster.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FilesSet)]
    [ValidateNotNullOrEmpty]
    public string ClusterFile { get; set; } = string.Empty;

    /// <summary>Path of the file with the Machines (a MachineList, Machines, MachineSets or MachineDeployments).</summary>
    [Parameter(Mandatory = true, ParameterSetName = FilesSet)]
    [ValidateNotNullOrEmpty]
    public string MachinesFile { get; set; } = string.Empty;

    /// <summary>Path of provider-components.yaml (its machine-config ConfigMap, when present, is the catalogue machines are matched against).</summary>
    [Parameter(ParameterSetName = FilesSet)]
    public string? ProviderComponentsFile { get; set; }

    /// <summary>Path of addons.yaml.</summary>
    [Parameter(ParameterSetName = FilesSet)]
    public string? AddonsFile { get; set; }

    protected override void ProcessRecord()
    {
        RunEngine(() =>
        {
            var imported = ParameterSetName == DirectorySet
                ? ClusterConfigImporter.ImportDirectory(Resolve(Path)!)
                : ClusterConfigImporter.Import(new ClusterConfigFiles(Resolve(ClusterFile)!, Resolve(MachinesFile)!, Resolve(ProviderComponentsFile), Resolve(AddonsFile)));
            foreach (var warning in imported.Warnings) WriteWarning(warning);
            WriteObject(imported.Config);
        });
    }

    private string? Resolve(string? path) => path is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
