using System.Security;

namespace PacketCluster.Models.Metal;

/// <summary>
/// A running Packet API simulator (Start-PacketSimulator, Get-PacketSimulator). Pipe it to Connect-PacketApi to use
/// it, to Stop-PacketSimulator to stop it.
/// </summary>
public sealed class PacketSimulatorInfo
{
    /// <summary>API base URL, e.g. http://127.0.0.1:41234/metal/v1/.</summary>
    public Uri Endpoint { get; set; } = new("http://127.0.0.1/");
    /// <summary>The session's API key, as a SecureString so it never prints.</summary>
    public SecureString ApiKey { get; set; } = new();
    public string ProjectId { get; set; } = string.Empty;
    public Uri? AdminEndpoint { get; set; }
    public int ProcessId { get; set; }
    /// <summary>
    /// When the simulator process started (UTC). Stop-PacketSimulator checks it against the process with
    /// <see cref="ProcessId"/>, so an id the system gave to another process since is never stopped.
    /// </summary>
    public DateTimeOffset? StartTime { get; set; }
    /// <summary>Where it keeps its devices across restarts; null for a simulator that keeps them in memory only.</summary>
    public string? StateDirectory { get; set; }
    /// <summary>The simulator's own log (simulator.log in its state folder).</summary>
    public string? LogFile { get; set; }
    public override string ToString() => Endpoint.ToString();
}
