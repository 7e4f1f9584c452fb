using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.Metal;

namespace PacketCluster.Commands;

/// <summary>Lists the Packet facilities (data centres such as ewr1), optionally of one metro.</summary>
/// <remarks>Facilities are deprecated in the API in favour of metros but still accepted; the seed's definitions use them (facility ewr1).</remarks>
/// <example>
/// <code>Get-PacketFacility</code>
/// <para>Lists every facility with its metro.</para>
/// </example>
/// <example>
/// <code>Get-PacketFacility -Metro ny</code>
/// <para>Lists the facilities of metro ny.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketFacility", HelpUri = HelpLinks.Base + "Get-PacketFacility.md")]
[OutputType(typeof(PacketFacility))]
public sealed class GetPacketFacilityCommand : PacketApiCmdlet
{
    /// <summary>Facility code; wildcards are allowed.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(FacilityCompleter))]
    public string? Code { get; set; }

    /// <summary>Only facilities in this metro.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(MetroCompleter))]
    public string? Metro { get; set; }

    protected override void EndProcessing()
    {
        var session = RequireSession();
        var facilities = RunEngineAsync((log, ct) => CatalogueQueries.FacilitiesAsync(session, Metro, log, ct));
        var pattern = Code is null ? null : WildcardPattern.Get(Code, WildcardOptions.IgnoreCase);
        WriteObject(facilities.Where(f => pattern?.IsMatch(f.Code) ?? true), enumerateCollection: true);
        base.EndProcessing();
    }
}
