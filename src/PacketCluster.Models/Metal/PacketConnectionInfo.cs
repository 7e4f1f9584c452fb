namespace PacketCluster.Models.Metal;

/// <summary>The Packet API connection of this session (Connect-PacketApi). The API key itself is never exposed.</summary>
public sealed class PacketConnectionInfo
{
    public Uri Endpoint { get; set; } = new("https://api.equinix.com/metal/v1/");
    public string? ProjectId { get; set; }
    public string? ProjectName { get; set; }
    /// <summary>Where the key came from: Parameter, PACKET_API_KEY or METAL_AUTH_TOKEN.</summary>
    public string ApiKeySource { get; set; } = string.Empty;
    public override string ToString() => $"{Endpoint} (project {ProjectId})";
}
