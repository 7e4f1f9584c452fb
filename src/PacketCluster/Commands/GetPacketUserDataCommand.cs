using System.Management.Automation;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Operations;
using PacketCluster.Models;

namespace PacketCluster.Commands;

/// <summary>Renders the cloud-init userdata a machine of a cluster definition would boot with.</summary>
/// <remarks>
/// Get-PacketUserData shows exactly what a machine's device would receive as userdata: the #cloud-config (or, for the
/// seed's shell entries, the script with its variable header) with the kubeadm configuration, CA certificates and keys
/// and bootstrap tokens rendered in. A definition that has not been created yet has no PKI and no elastic IP: the
/// output then uses a fresh PKI (or the CA given in the Cluster's caKeyPair) and, unless -ControlPlaneEndpoint is given,
/// the documentation address 192.0.2.10 as endpoint. Workers of a MachineDeployment or MachineSet are shown as one
/// example replica named &lt;name&gt;-0.
///
/// The output holds private keys and tokens: a warning says so. Do not paste it into tickets or logs.
/// </remarks>
/// <example>
/// <code>Import-PacketClusterConfig ./mycluster | Get-PacketUserData</code>
/// <para>Renders the userdata of every machine of the definition.</para>
/// </example>
/// <example>
/// <code>(Get-PacketUserData -Path ./mycluster -MachineName *control-plane-0).Content | Set-Content -Path cp0.yaml; cloud-init schema --config-file cp0.yaml</code>
/// <para>Saves the first control plane's userdata and checks it with cloud-init.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketUserData", HelpUri = HelpLinks.Base + "Get-PacketUserData.md", DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(PacketUserData))]
public sealed class GetPacketUserDataCommand : PacketCmdlet
{
    private const string InputObjectSet = "InputObject";
    private const string PathSet = "Path";

    /// <summary>The cluster definition (from New-PacketClusterConfig or Import-PacketClusterConfig).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public PacketClusterConfig? InputObject { get; set; }

    /// <summary>Folder of a cluster definition, read as Import-PacketClusterConfig reads it.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Machine name; wildcards are allowed. Defaults to every machine.</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completion.DefinitionMachineNameCompleter))]
    public string MachineName { get; set; } = "*";

    /// <summary>Control-plane endpoint address to render in (the cluster's elastic IP). Defaults to the placeholder 192.0.2.10.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ControlPlaneEndpoint { get; set; }

    protected override void ProcessRecord()
    {
        RunEngine(() =>
        {
            MachineConfigCatalogue catalogue;
            PacketClusterConfig config;
            if (InputObject is not null)
            {
                config = InputObject;
                catalogue = config.Directory is { } dir && Directory.Exists(dir)
                    ? ClusterConfigImporter.ImportDirectory(dir).Catalogue
                    : MachineConfigCatalogue.LoadShipped();
            }
            else
            {
                var imported = ClusterConfigImporter.ImportDirectory(SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path!));
                (config, catalogue) = (imported.Config, imported.Catalogue);
            }

            var pattern = WildcardPattern.Get(MachineName, WildcardOptions.IgnoreCase);
            var targets = UserdataPreview.Targets(config).Where(t => pattern.IsMatch(t.Name)).ToList();
            if (targets.Count == 0)
            {
                WriteError(WithAdvice(new ErrorRecord(new ItemNotFoundException($"No machine named '{MachineName}' in cluster '{config.Name}'. Machines: {string.Join(", ", UserdataPreview.Targets(config).Select(t => t.Name))}."),
                    "MachineNotFound", ErrorCategory.ObjectNotFound, MachineName), "Pass one of the machine names the message lists to -MachineName."));
                return;
            }
            if (ControlPlaneEndpoint is null)
                WriteWarning($"Cluster '{config.Name}' has no elastic IP yet: {UserdataPreview.PlaceholderEndpoint} stands in for the control-plane endpoint. Pass -ControlPlaneEndpoint to render another address.");
            WriteWarning("The userdata holds private keys and bootstrap tokens. Treat it as a secret.");
            WriteObject(UserdataPreview.Render(config, catalogue, targets, ControlPlaneEndpoint ?? UserdataPreview.PlaceholderEndpoint), enumerateCollection: true);
        });
    }
}
