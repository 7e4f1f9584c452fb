using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.Metal;

namespace PacketCluster.Commands;

/// <summary>Lists Packet plans (machine types) with their hourly price and where they are available.</summary>
/// <remarks>
/// With -Metro or -Facility only the plans deployable there are listed, with the price in that location; the list is
/// sorted by price. New-PacketClusterConfig -Plan completes from the same catalogue.
/// </remarks>
/// <example>
/// <code>Get-PacketPlan -Metro sv</code>
/// <para>Lists the plans available in metro sv, cheapest first, with the hourly price there.</para>
/// </example>
/// <example>
/// <code>Get-PacketPlan -Slug c3.*</code>
/// <para>Shows the c3 plans and the metros and facilities that offer them.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketPlan", HelpUri = HelpLinks.Base + "Get-PacketPlan.md", DefaultParameterSetName = AnywhereSet)]
[OutputType(typeof(PacketPlan))]
public sealed class GetPacketPlanCommand : PacketApiCmdlet
{
    private const string AnywhereSet = "Anywhere";
    private const string MetroSet = "Metro";
    private const string FacilitySet = "Facility";

    /// <summary>Plan slug; wildcards are allowed.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(PlanCompleter))]
    public string? Slug { get; set; }

    /// <summary>Only plans available in this metro, priced there.</summary>
    [Parameter(Mandatory = true, ParameterSetName = MetroSet)]
    [ArgumentCompleter(typeof(MetroCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Metro { get; set; }

    /// <summary>Only plans available in this facility, priced there.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FacilitySet)]
    [ArgumentCompleter(typeof(FacilityCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Facility { get; set; }

    protected override void EndProcessing()
    {
        var session = RequireSession();
        var plans = RunEngineAsync((log, ct) => CatalogueQueries.PlansAsync(session, Metro, Facility, log, ct));
        var pattern = Slug is null ? null : WildcardPattern.Get(Slug, WildcardOptions.IgnoreCase);
        WriteObject(plans.Where(p => pattern?.IsMatch(p.Slug) ?? true), enumerateCollection: true);
        base.EndProcessing();
    }
}
