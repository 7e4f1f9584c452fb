namespace PacketCluster.Models.Metal;

/// <summary>
/// The session's Packet API connection (Connect-PacketApi, Get-PacketConnection): where it points and where its key
/// came from. It never holds the key itself.
/// </summary>
public sealed class PacketConnectionInfo
{
    /// <summary>API base URL, e.g. https://api.equinix.com/metal/v1/ or a simulator's.</summary>
    public Uri Endpoint { get; set; } = new("https://api.equinix.com/metal/v1/");
    /// <summary>The project the cluster cmdlets work in; null when none was given.</summary>
    public string? ProjectId { get; set; }
    /// <summary>The project's name, when the connection was checked (Connect-PacketApi reads it).</summary>
    public string? ProjectName { get; set; }
    /// <summary>
    /// Where the key came from: "Connect-PacketApi -ApiKey", "Connect-PacketApi (PACKET_API_KEY)" or
    /// "Environment (PACKET_API_KEY)" (also METAL_AUTH_TOKEN). Never the key.
    /// </summary>
    public string ApiKeySource { get; set; } = string.Empty;
    /// <summary>
    /// True for a connection made by Connect-PacketApi (kept until Disconnect-PacketApi); false for the implicit one the
    /// environment variables make, which follows the environment.
    /// </summary>
    public bool IsExplicit { get; set; }
    public override string ToString() => $"{Endpoint} (project {ProjectId ?? "none"}, key from {ApiKeySource})";
}
