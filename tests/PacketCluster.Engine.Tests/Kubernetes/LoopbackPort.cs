using System.Net;
using System.Net.Sockets;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>Free TCP ports on 127.0.0.1, found by letting the kernel pick one for a throw-away listener.</summary>
internal static class LoopbackPort
{
    /// <remarks>
    /// The port is free when this returns; another process could take it before our server binds it, but the kernel
    /// hands out ephemeral ports round-robin, so that race needs a very busy machine.
    /// </remarks>
    public static int PickFree()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }
}
