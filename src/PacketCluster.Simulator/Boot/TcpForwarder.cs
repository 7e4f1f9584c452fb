using System.Net;
using System.Net.Sockets;

namespace PacketCluster.Simulator.Boot;

/// <summary>
/// What routing an elastic IP to a device does, for one port: connections to <c>listen</c> are relayed to
/// <c>target</c>. Both are loopback addresses. Dispose closes the listener and every relayed connection.
/// </summary>
public sealed class TcpForwarder : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    private TcpForwarder(TcpListener listener, IPEndPoint target)
    {
        _listener = listener;
        _target = target;
        _accepting = AcceptAsync();
    }

    public IPEndPoint Listen => (IPEndPoint)_listener.LocalEndpoint;

    /// <exception cref="SocketException">The address is taken.</exception>
    public static TcpForwarder Start(IPEndPoint listen, IPEndPoint target)
    {
        if (!IPAddress.IsLoopback(listen.Address) || !IPAddress.IsLoopback(target.Address))
            throw new ArgumentException("the simulator forwards between loopback addresses only");
        var listener = new TcpListener(listen);
        listener.Start();
        return new TcpForwarder(listener, target);
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                connections.RemoveAll(t => t.IsCompleted);
                connections.Add(RelayAsync(client));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
        await Task.WhenAll(connections);
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                using var connect = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                connect.CancelAfter(TimeSpan.FromSeconds(10));
                await upstream.ConnectAsync(_target, connect.Token);
                var a = client.GetStream();
                var b = upstream.GetStream();
                using var done = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                var first = await Task.WhenAny(Pump(a, b, done.Token), Pump(b, a, done.Token));
                await done.CancelAsync();
                await first;
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
            {
                // One side went away: the connection ends, as a real route would end it.
            }
        }
    }

    private static async Task Pump(NetworkStream from, NetworkStream to, CancellationToken cancel)
    {
        var buffer = new byte[16384];
        int n;
        while ((n = await from.ReadAsync(buffer, cancel)) > 0)
            await to.WriteAsync(buffer.AsMemory(0, n), cancel);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
