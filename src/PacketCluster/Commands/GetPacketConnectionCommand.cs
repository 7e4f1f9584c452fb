using System.Management.Automation;
using PacketCluster.Models.Metal;

namespace PacketCluster.Commands;

/// <summary>Shows the Packet API connection the cmdlets of this session use: endpoint, project and where the key came from.</summary>
/// <remarks>
/// Get-PacketConnection is to PacketCluster what Get-AzContext is to Az: it says which connection the other cmdlets
/// would use now, without calling the API. It never shows the key, only where it came from (ApiKeySource).
///
/// A connection made by Connect-PacketApi is explicit (IsExplicit is true) and stays until Disconnect-PacketApi. Without
/// one, the environment variables PACKET_API_KEY (or METAL_AUTH_TOKEN), PACKET_PROJECT_ID and PACKET_API_URL make an
/// implicit connection, read again by every cmdlet: the object shows them as they are now. With neither, nothing is
/// returned (the verbose stream says why).
/// </remarks>
/// <example>
/// <code>Get-PacketConnection</code>
/// <para>Shows the endpoint, project, where the key came from and whether Connect-PacketApi made the connection.</para>
/// </example>
/// <example>
/// <code>if (-not (Get-PacketConnection)) { Start-PacketSimulator | Connect-PacketApi }</code>
/// <para>Connects to a fresh simulator only when there is no connection yet.</para>
/// </example>
/// <example>
/// <code>(Get-PacketConnection).IsExplicit</code>
/// <para>True when Connect-PacketApi made the connection; false when it comes from the environment variables.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketConnection", HelpUri = HelpLinks.Base + "Get-PacketConnection.md")]
[OutputType(typeof(PacketConnectionInfo))]
public sealed class GetPacketConnectionCommand : PacketCmdlet
{
    protected override void EndProcessing()
    {
        Engine.Operations.PacketSession? session = null;
        RunEngine(() => session = PacketSessions.TryGet());
        if (session is null)
            WriteVerbose("Not connected: run Connect-PacketApi (or Start-PacketSimulator | Connect-PacketApi), or set PACKET_API_KEY and PACKET_PROJECT_ID.");
        else
            WriteObject(session.Describe());
        base.EndProcessing();
    }
}
