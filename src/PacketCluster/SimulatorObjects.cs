using System.Security;
using PacketCluster.Models.Metal;

namespace PacketCluster;

/// <summary>The simulator object Start-PacketSimulator and Get-PacketSimulator return (one shape for both).</summary>
internal static class SimulatorObjects
{
    public static PacketSimulatorInfo ToInfo(Uri endpoint, string apiKey, string projectId, Uri? adminEndpoint, int processId,
        DateTimeOffset startTime, string? stateDirectory, string? logFile)
    {
        var key = new SecureString();
        foreach (var c in apiKey) key.AppendChar(c);
        key.MakeReadOnly();
        return new PacketSimulatorInfo
        {
            Endpoint = endpoint,
            ApiKey = key,
            ProjectId = projectId,
            AdminEndpoint = adminEndpoint,
            ProcessId = processId,
            StartTime = startTime,
            StateDirectory = stateDirectory,
            LogFile = logFile,
        };
    }
}
