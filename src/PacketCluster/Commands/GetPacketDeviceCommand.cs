using System.Management.Automation;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.Metal;

namespace PacketCluster.Commands;

/// <summary>Lists the devices (bare-metal servers) of the connected project, optionally of one cluster.</summary>
/// <remarks>
/// -ClusterName lists only the devices tagged cluster-api-provider-packet:cluster-id:&lt;name&gt; (the tag the 2019
/// provider used too), with one filtered, paginated list call rather than one call per device. Userdata is not shown:
/// it holds key material.
/// </remarks>
/// <example>
/// <code>Get-PacketDevice -ClusterName prod</code>
/// <para>Lists the devices of cluster prod with their state, role and addresses.</para>
/// </example>
/// <example>
/// <code>Get-PacketDevice | Where-Object State -ne active</code>
/// <para>Lists the project's devices that are not active.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketDevice", HelpUri = HelpLinks.Base + "Get-PacketDevice.md")]
[OutputType(typeof(PacketDevice))]
public sealed class GetPacketDeviceCommand : PacketApiCmdlet
{
    /// <summary>Only devices of this cluster (by the cluster-id tag).</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(Completion.ClusterNameCompleter))]
    public string? ClusterName { get; set; }

    /// <summary>Device hostname; wildcards are allowed.</summary>
    [Parameter]
    [SupportsWildcards]
    public string? Hostname { get; set; }

    protected override void ProcessRecord()
    {
        var session = RequireSession();
        var devices = RunEngineAsync((log, ct) => CatalogueQueries.DevicesAsync(session, ClusterName, log, ct));
        var pattern = Hostname is null ? null : WildcardPattern.Get(Hostname, WildcardOptions.IgnoreCase);
        WriteObject(devices.Where(d => pattern?.IsMatch(d.Hostname) ?? true), enumerateCollection: true);
    }
}
