using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.Metal;

namespace PacketCluster.Commands;

/// <summary>Lists the operating systems Packet can install.</summary>
/// <remarks>A machine's os must also have an entry in the machine-config catalogue (Get-PacketMachineConfig) for PacketCluster to boot it.</remarks>
/// <example>
/// <code>Get-PacketOperatingSystem</code>
/// <para>Lists every operating system slug with its distro and version.</para>
/// </example>
/// <example>
/// <code>Get-PacketOperatingSystem -Name ubuntu_*</code>
/// <para>Lists the Ubuntu images.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketOperatingSystem", HelpUri = HelpLinks.Base + "Get-PacketOperatingSystem.md")]
[OutputType(typeof(PacketOperatingSystem))]
public sealed class GetPacketOperatingSystemCommand : PacketApiCmdlet
{
    /// <summary>Operating system slug; wildcards are allowed.</summary>
    [Parameter(Position = 0)]
    [Alias("Slug")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(OperatingSystemCompleter))]
    public string? Name { get; set; }

    protected override void EndProcessing()
    {
        var session = RequireSession();
        var systems = RunEngineAsync((log, ct) => CatalogueQueries.OperatingSystemsAsync(session, log, ct));
        var pattern = Name is null ? null : WildcardPattern.Get(Name, WildcardOptions.IgnoreCase);
        WriteObject(systems.Where(o => pattern?.IsMatch(o.Slug) ?? true), enumerateCollection: true);
        base.EndProcessing();
    }
}
