using System.Text.Json;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>Reads a Kubernetes Status body (what the API server returns with 4xx/5xx).</summary>
internal static class KubeStatus
{
    /// <summary>The human message; for 403 it names the user the request was authenticated as.</summary>
    public static string Message(string statusJson) =>
        JsonDocument.Parse(statusJson).RootElement.GetProperty("message").GetString() ?? "";
}
