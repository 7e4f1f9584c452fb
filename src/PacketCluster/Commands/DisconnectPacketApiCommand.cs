using System.Management.Automation;
using PacketCluster.Models.Metal;

namespace PacketCluster.Commands;

/// <summary>Ends the connection Connect-PacketApi made in this session.</summary>
/// <remarks>
/// Disconnect-PacketApi is to PacketCluster what Disconnect-AzAccount is to Az. It forgets the explicit connection of
/// this session (its endpoint, project and key); nothing is sent to the API. Afterwards the cmdlets use the implicit
/// connection of the environment variables (PACKET_API_KEY or METAL_AUTH_TOKEN, PACKET_PROJECT_ID, PACKET_API_URL)
/// again, if they are set; Get-PacketConnection shows which.
///
/// Without an explicit connection there is nothing to end: a warning says so and the implicit connection, if any,
/// stays (unset the environment variables to end it).
/// </remarks>
/// <example>
/// <code>Disconnect-PacketApi</code>
/// <para>Forgets the connection made by Connect-PacketApi.</para>
/// </example>
/// <example>
/// <code>Disconnect-PacketApi -PassThru</code>
/// <para>Forgets the connection and returns what it was (endpoint, project, where the key came from; never the key).</para>
/// </example>
[Cmdlet(VerbsCommunications.Disconnect, "PacketApi", HelpUri = HelpLinks.Base + "Disconnect-PacketApi.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(PacketConnectionInfo))]
public sealed class DisconnectPacketApiCommand : PacketCmdlet
{
    /// <summary>Return the connection that was ended.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        Engine.Operations.PacketSession? current = null;
        var isExplicit = false;
        // A malformed PACKET_API_URL must not stop a disconnect: only the explicit connection matters here.
        try { current = PacketSessions.TryGet(out isExplicit); }
        catch (Engine.PacketClusterException) { }
        if (!isExplicit || current is null)
        {
            WriteWarning("There is no connection made by Connect-PacketApi in this session; nothing was disconnected." +
                (Credentials.ApiKeyFromEnvironment() is null ? "" : $" The implicit connection from {Credentials.ApiKeyVariable()} stays: unset the PACKET_* variables to end it."));
        }
        else if (ShouldProcess(current.Options.Endpoint.ToString(), "Disconnect from the Packet API"))
        {
            var removed = PacketSessions.RemoveExplicit();
            WriteVerbose($"Disconnected from {current.Options.Endpoint}.");
            if (PassThru && removed is not null) WriteObject(removed.Describe());
        }
        base.EndProcessing();
    }
}
