using System.Management.Automation;
using PacketCluster.Engine.Operations;

namespace PacketCluster;

/// <summary>
/// Base of cmdlets that talk to the Packet API: finds the session's connection (Connect-PacketApi's, else the one the
/// environment variables make as they are now) or says how to make one.
/// </summary>
public abstract class PacketApiCmdlet : PacketCmdlet
{
    private protected PacketSession RequireSession()
    {
        PacketSession? session = null;
        // The implicit (environment) connection fails with the same error ids as Connect-PacketApi (PacketApiOptionsInvalid).
        try { session = PacketSessions.TryGet(); }
        catch (Engine.PacketClusterException e) { ThrowTerminatingError(ToErrorRecord(e)); }
        if (session is null)
        {
            const string message = "Not connected to the Packet API. Run Connect-PacketApi (or Start-PacketSimulator | Connect-PacketApi), or set PACKET_API_KEY and PACKET_PROJECT_ID.";
            ThrowTerminatingError(new ErrorRecord(new PSInvalidOperationException(message), "PacketApiNotConnected", ErrorCategory.ConnectionError, null)
            {
                ErrorDetails = new ErrorDetails(message)
                {
                    RecommendedAction = "Run Connect-PacketApi (Start-PacketSimulator | Connect-PacketApi for the local simulator), or set PACKET_API_KEY and PACKET_PROJECT_ID.",
                },
            });
        }
        return session!;
    }
}
