using System.Net;
using System.Text;

namespace PacketCluster.Manager;

/// <summary>
/// /healthz, /readyz and /metrics over the BCL's HttpListener. Three plain-text GETs for the kubelet and Prometheus do
/// not need ASP.NET Core, and leaving it out (Kestrel, hosting, dependency injection, minimal APIs' compiled
/// expression trees) takes about 20 MB off the manager's resident memory (PRODUCT.md §10: ≤ 200 MB at 1000 machines).
/// Each address serves its own paths (the probes on the pod address for the kubelet, /metrics on loopback); paths of
/// two addresses on one port are served together.
/// </summary>
internal sealed class ProbeServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Dictionary<int, Dictionary<string, Func<(string Body, string ContentType)>>> _routesByPort = new();

    public ProbeServer(IEnumerable<(IPEndPoint Address, IReadOnlyDictionary<string, Func<(string Body, string ContentType)>> Routes)> endpoints)
    {
        foreach (var (address, routes) in endpoints)
        {
            var prefix = Prefix(address);
            if (!_listener.Prefixes.Contains(prefix)) _listener.Prefixes.Add(prefix);
            if (!_routesByPort.TryGetValue(address.Port, out var served)) _routesByPort[address.Port] = served = new(StringComparer.Ordinal);
            foreach (var (path, route) in routes) served[path] = route;
        }
    }

    /// <summary>The URLs served (for the log).</summary>
    public IEnumerable<string> Urls => _listener.Prefixes;

    public void Start() => _listener.Start();

    /// <summary>Answers requests until <paramref name="cancellationToken"/> fires; one slow client never holds up another.</summary>
    public async Task ServeAsync(CancellationToken cancellationToken)
    {
        using var stop = cancellationToken.Register(() => _listener.Stop());
        while (!cancellationToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException && cancellationToken.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => AnswerAsync(context), CancellationToken.None);
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            var routes = _routesByPort.GetValueOrDefault(context.Request.LocalEndPoint?.Port ?? 0) ?? [];
            var (status, body, type) = context.Request.HttpMethod is not ("GET" or "HEAD") ? (405, "method not allowed\n", "text/plain")
                : routes.TryGetValue(context.Request.Url?.AbsolutePath ?? "/", out var route) ? Answer(route)
                : (404, $"not found: {string.Join(", ", routes.Keys.Order(StringComparer.Ordinal))} {(routes.Count == 1 ? "is" : "are")} served here\n", "text/plain");
            var bytes = Encoding.UTF8.GetBytes(body);
            response.StatusCode = status;
            response.ContentType = type;
            response.ContentLength64 = bytes.Length;
            if (context.Request.HttpMethod == "GET") await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
        {
            // The client went away; nothing to answer.
        }
        finally
        {
            try { response.Close(); } catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException) { }
        }

        static (int, string, string) Answer(Func<(string Body, string ContentType)> route)
        {
            var (body, type) = route();
            return (200, body, type);
        }
    }

    /// <summary>":9440" (every interface, as in a pod) listens on all of them; a given host only on that one.</summary>
    private static string Prefix(IPEndPoint address)
    {
        var host = address.Address.Equals(IPAddress.Any) || address.Address.Equals(IPAddress.IPv6Any) ? "*"
            : address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address.Address}]"
            : address.Address.ToString();
        return $"http://{host}:{address.Port}/";
    }

    public void Dispose() => _listener.Close();
}
