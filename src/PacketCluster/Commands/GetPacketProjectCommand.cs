using System.Management.Automation;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.Metal;

namespace PacketCluster.Commands;

/// <summary>Gets the Packet project of the connection, or every project the key can see.</summary>
/// <remarks>With a project on the connection (Connect-PacketApi -ProjectId, or PACKET_PROJECT_ID) that project is returned; otherwise all projects the API key can read.</remarks>
/// <example>
/// <code>Get-PacketProject</code>
/// <para>Shows the connected project.</para>
/// </example>
/// <example>
/// <code>Get-PacketProject | Select-Object Id, Name</code>
/// <para>Lists project ids and names.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketProject", HelpUri = HelpLinks.Base + "Get-PacketProject.md")]
[OutputType(typeof(PacketProject))]
public sealed class GetPacketProjectCommand : PacketApiCmdlet
{
    protected override void EndProcessing()
    {
        var session = RequireSession();
        WriteObject(RunEngineAsync((log, ct) => CatalogueQueries.ProjectsAsync(session, log, ct)), enumerateCollection: true);
        base.EndProcessing();
    }
}
