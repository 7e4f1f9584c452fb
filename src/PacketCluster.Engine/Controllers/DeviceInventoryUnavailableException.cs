using PacketCluster.Engine.Metal;

namespace PacketCluster.Engine.Controllers;

/// <summary>The cluster's device list could not be read; <see cref="RetryAfter"/> is the inventory's backoff.</summary>
public sealed class DeviceInventoryUnavailableException : PacketClusterException
{
    public DeviceInventoryUnavailableException(string clusterName, TimeSpan retryAfter, PacketApiException? inner)
        : base("DeviceInventoryUnavailable", ErrorKind.ConnectionError,
            $"The devices of cluster '{clusterName}' cannot be listed right now{(inner is null ? "" : ": " + inner.Message)}",
            "Wait a moment and try again; if it persists, check the Packet API connection (Connect-PacketApi) and the network.", clusterName, inner)
    {
        RetryAfter = retryAfter;
    }

    public TimeSpan RetryAfter { get; }
}
