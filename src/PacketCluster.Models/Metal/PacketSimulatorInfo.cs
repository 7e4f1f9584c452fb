using System.Security;

namespace PacketCluster.Models.Metal;

/// <summary>A running Packet API simulator (Start-PacketSimulator). Pipe it to Connect-PacketApi.</summary>
public sealed class PacketSimulatorInfo
{
    /// <summary>API base URL, e.g. http://127.0.0.1:41234/metal/v1/.</summary>
    public Uri Endpoint { get; set; } = new("http://127.0.0.1/");
    /// <summary>The session's API key, as a SecureString so it never prints.</summary>
    public SecureString ApiKey { get; set; } = new();
    public string ProjectId { get; set; } = string.Empty;
    public Uri? AdminEndpoint { get; set; }
    public int ProcessId { get; set; }
    public string? StateDirectory { get; set; }
    public override string ToString() => Endpoint.ToString();
}
