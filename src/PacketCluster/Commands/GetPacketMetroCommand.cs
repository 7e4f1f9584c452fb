using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.Metal;

namespace PacketCluster.Commands;

/// <summary>Lists the Packet metros (locations such as sv, da, ny).</summary>
/// <remarks>The metro list is cached for the session (ten minutes), like the rest of the catalogue.</remarks>
/// <example>
/// <code>Get-PacketMetro</code>
/// <para>Lists every metro with its code, name and country.</para>
/// </example>
/// <example>
/// <code>Get-PacketMetro -Code s*</code>
/// <para>Lists the metros whose code starts with s.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketMetro", HelpUri = HelpLinks.Base + "Get-PacketMetro.md")]
[OutputType(typeof(PacketMetro))]
public sealed class GetPacketMetroCommand : PacketApiCmdlet
{
    /// <summary>Metro code; wildcards are allowed.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(MetroCompleter))]
    public string? Code { get; set; }

    protected override void EndProcessing()
    {
        var session = RequireSession();
        var metros = RunEngineAsync((log, ct) => CatalogueQueries.MetrosAsync(session, log, ct));
        var pattern = Code is null ? null : WildcardPattern.Get(Code, WildcardOptions.IgnoreCase);
        WriteObject(metros.Where(m => pattern?.IsMatch(m.Code) ?? true), enumerateCollection: true);
        base.EndProcessing();
    }
}
