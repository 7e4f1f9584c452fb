using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Models;

namespace PacketCluster.Commands;

/// <summary>Lists the machine-config catalogue: which image and Kubernetes versions have userdata, per role.</summary>
/// <remarks>
/// A machine boots with the userdata of the one catalogue entry whose image equals its providerSpec os and whose
/// versions equal its spec.versions exactly (kubelet, and controlPlane for a control plane): the 2019 provider's rule.
/// Without -InputObject the shipped catalogue is listed; with a config object, the catalogue that config uses (the one in
/// its provider-components.yaml, if any).
/// </remarks>
/// <example>
/// <code>Get-PacketMachineConfig</code>
/// <para>Lists every entry of the shipped catalogue.</para>
/// </example>
/// <example>
/// <code>Get-PacketMachineConfig -Image ubuntu_22_04 -KubernetesVersion 1.20.2</code>
/// <para>Shows the control-plane and worker entries for Ubuntu 22.04 and Kubernetes 1.20.2.</para>
/// </example>
/// <example>
/// <code>Import-PacketClusterConfig ./seed-out | Get-PacketMachineConfig</code>
/// <para>Lists the catalogue carried by a definition's provider-components.yaml.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketMachineConfig", HelpUri = HelpLinks.Base + "Get-PacketMachineConfig.md")]
[OutputType(typeof(MachineConfigInfo))]
public sealed class GetPacketMachineConfigCommand : PacketCmdlet
{
    /// <summary>Operating system image slug; wildcards are allowed.</summary>
    [Parameter(Position = 0)]
    [Alias("OperatingSystem")]
    [ArgumentCompleter(typeof(ImageCompleter))]
    [SupportsWildcards]
    public string? Image { get; set; }

    /// <summary>Kubernetes version (kubelet version of the entry); wildcards are allowed, e.g. 1.20.*.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(KubernetesVersionCompleter))]
    [SupportsWildcards]
    public string? KubernetesVersion { get; set; }

    /// <summary>Only entries for this role.</summary>
    [Parameter]
    [ValidateSet("ControlPlane", "Worker")]
    public string? Role { get; set; }

    /// <summary>A config object whose catalogue to list.</summary>
    [Parameter(ValueFromPipeline = true)]
    public PacketClusterConfig? InputObject { get; set; }

    protected override void ProcessRecord()
    {
        RunEngine(() =>
        {
            IEnumerable<MachineConfigInfo> entries = InputObject is { MachineConfigs.Length: > 0 } config
                ? config.MachineConfigs
                : MachineConfigCatalogue.LoadShipped().Entries;
            var image = Image is null ? null : WildcardPattern.Get(Image, WildcardOptions.IgnoreCase);
            var version = KubernetesVersion is null ? null : WildcardPattern.Get(KubernetesVersion, WildcardOptions.IgnoreCase);
            var matches = entries.Where(e => (image?.IsMatch(e.Image) ?? true) && (version?.IsMatch(e.Kubelet) ?? true) && (Role is null || string.Equals(e.Role, Role, StringComparison.OrdinalIgnoreCase))).ToList();
            if (matches.Count == 0 && (Image is not null || KubernetesVersion is not null) && !WildcardPattern.ContainsWildcardCharacters(Image + KubernetesVersion))
                WriteError(WithAdvice(new ErrorRecord(new ItemNotFoundException($"No machine config for image '{Image ?? "*"}' and Kubernetes '{KubernetesVersion ?? "*"}'. Run Get-PacketMachineConfig without filters to see what exists."),
                    "MachineConfigNotFound", ErrorCategory.ObjectNotFound, Image), "Run Get-PacketMachineConfig without filters to see which images and Kubernetes versions exist."));
            WriteObject(matches, enumerateCollection: true);
        });
    }
}
