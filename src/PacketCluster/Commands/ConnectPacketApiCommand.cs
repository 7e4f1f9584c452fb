using System.Management.Automation;
using System.Net;
using System.Security;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.Metal;

namespace PacketCluster.Commands;

/// <summary>Connects this session to the Packet (Equinix Metal) API or to a Packet API simulator.</summary>
/// <remarks>
/// Connect-PacketApi checks the key with one call (reading the project when one is given) and keeps the connection
/// for the other cmdlets of this session until Disconnect-PacketApi. A wrong key fails here with the error id
/// PacketApiUnauthorized and the previous connection stays in force. The key is never shown: the returned object says
/// only where it came from. Get-PacketConnection shows the connection in force.
///
/// Without Connect-PacketApi, the cmdlets use an implicit connection made from the environment variables, read
/// again by every cmdlet: changing PACKET_API_KEY, PACKET_PROJECT_ID or PACKET_API_URL takes effect at once.
/// Connect-PacketApi reads them once, and its connection no longer follows them.
///
/// The key comes from -ApiKey, else PACKET_API_KEY, else METAL_AUTH_TOKEN; the project from -ProjectId, else
/// PACKET_PROJECT_ID; the endpoint from -Endpoint, else PACKET_API_URL, else https://api.equinix.com/metal/v1/.
/// Requests that only read are retried on 429, 502, 503 and 504 with bounded backoff that honours X-RateLimit-Reset;
/// retries are reported on the verbose stream.
/// </remarks>
/// <example>
/// <code>Connect-PacketApi -ApiKey (Read-Host -AsSecureString 'API key') -ProjectId 3c5f4a2e-55aa-4b8c-9d0e-1f2a3b4c5d6e</code>
/// <para>Connects to the Equinix Metal API with a key typed at the prompt.</para>
/// </example>
/// <example>
/// <code>Start-PacketSimulator | Connect-PacketApi</code>
/// <para>Starts the local Packet API simulator and connects to it.</para>
/// </example>
/// <example>
/// <code>$env:PACKET_API_KEY = $key; $env:PACKET_PROJECT_ID = $project; Connect-PacketApi</code>
/// <para>Connects with the credentials in the environment, as CI scripts do.</para>
/// </example>
[Cmdlet(VerbsCommunications.Connect, "PacketApi", HelpUri = HelpLinks.Base + "Connect-PacketApi.md")]
[OutputType(typeof(PacketConnectionInfo))]
public sealed class ConnectPacketApiCommand : PacketApiCmdlet
{
    /// <summary>The API key (a user or project key). Defaults to PACKET_API_KEY or METAL_AUTH_TOKEN.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SecureString? ApiKey { get; set; }

    /// <summary>The project the cluster cmdlets work in. Defaults to PACKET_PROJECT_ID.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? ProjectId { get; set; }

    /// <summary>API base URL. Defaults to PACKET_API_URL, else https://api.equinix.com/metal/v1/.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNull]
    public Uri? Endpoint { get; set; }

    protected override void ProcessRecord()
    {
        RunEngine(() =>
        {
            var environment = PacketApiOptions.FromEnvironment();
            var key = ApiKey is not null ? new NetworkCredential(string.Empty, ApiKey).Password : environment.ApiKey;
            var source = ApiKey is not null ? "Connect-PacketApi -ApiKey" : $"Connect-PacketApi ({Credentials.ApiKeyVariable()})";
            var options = environment with
            {
                ApiKey = key,
                ProjectId = ProjectId ?? environment.ProjectId,
                Endpoint = Endpoint ?? environment.Endpoint,
            };
            var session = new PacketSession(options, source, isExplicit: true);
            var info = RunEngineAsync((log, ct) => session.VerifyAsync(log, ct));
            PacketSessions.Set(session);
            WriteObject(info);
        });
    }
}
