using System.Collections.Concurrent;
using System.Net.Sockets;

namespace PacketCluster.Engine.ControlPlane;

/// <summary>
/// Keeps a management connection independent of the control plane that holds the elastic IP: a request the endpoint
/// cannot take (connection refused, unreachable, timed out before any answer) is sent to the other control planes'
/// own addresses from <see cref="ControlPlaneAddressBook"/>, whose serving certificates name them. For a while after,
/// requests go to the control plane that answered first, so a dead endpoint costs one failed connect, not one per call.
/// Only requests that never reached a server, and reads, are repeated, so nothing is applied twice.
/// </summary>
public sealed class ControlPlaneFailoverHandler : DelegatingHandler
{
    private static readonly TimeSpan PreferFor = TimeSpan.FromSeconds(30);
    private static readonly ConcurrentDictionary<string, (string Host, DateTimeOffset Until)> Preferred = new(StringComparer.OrdinalIgnoreCase);

    private readonly TimeProvider _time;

    public ControlPlaneFailoverHandler(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri!;
        var alternates = ControlPlaneAddressBook.Alternates(uri.Host, uri.Port);
        if (alternates.Count == 0) return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);

        var key = ControlPlaneAddressBook.Key(uri.Host, uri.Port);
        var body = request.Content is null ? null : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var order = new List<string>();
        if (Preferred.TryGetValue(key, out var preferred) && preferred.Until > _time.GetUtcNow() && alternates.Contains(preferred.Host)) order.Add(preferred.Host);
        order.Add(uri.Host);
        order.AddRange(alternates.Where(a => !order.Contains(a)));

        HttpRequestException? last = null;
        HttpResponseMessage? starting = null;
        foreach (var host in order)
        {
            using var attempt = Copy(request, host, body);
            try
            {
                var response = await base.SendAsync(attempt, cancellationToken).ConfigureAwait(false);
                // A control plane that has just been powered on answers 503 until its API server is ready; the request
                // was not served, so another control plane may take it. If every one says so, the caller gets the 503.
                if (response.StatusCode == System.Net.HttpStatusCode.ServiceUnavailable && host != order[^1])
                {
                    starting?.Dispose();
                    starting = response;
                    continue;
                }
                starting?.Dispose();
                // The preference lasts PreferFor from the switch and is not extended by use, so the endpoint is tried
                // again once the elastic IP has had time to move.
                if (host != uri.Host && !(preferred.Host == host && preferred.Until > _time.GetUtcNow())) Preferred[key] = (host, _time.GetUtcNow() + PreferFor);
                else if (host == uri.Host) Preferred.TryRemove(key, out _);
                return response;
            }
            catch (HttpRequestException e) when (NeverReachedServer(e) || (IsIdempotent(request.Method) && !cancellationToken.IsCancellationRequested))
            {
                // A read may be repeated even when the server took it: a control plane that is going (it left etcd, its
                // device is being deleted) ends responses half way.
                last = e;
            }
        }
        if (starting is not null) return starting;
        throw last!;
    }

    private static bool IsIdempotent(HttpMethod method) => method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Options;

    private static bool NeverReachedServer(HttpRequestException e) =>
        e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
        || e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.TimedOut };

    private static HttpRequestMessage Copy(HttpRequestMessage original, string host, byte[]? body)
    {
        var builder = new UriBuilder(original.RequestUri!) { Host = host };
        var copy = new HttpRequestMessage(original.Method, builder.Uri) { Version = original.Version, VersionPolicy = original.VersionPolicy };
        foreach (var header in original.Headers) copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        if (body is not null)
        {
            copy.Content = new ByteArrayContent(body);
            foreach (var header in original.Content!.Headers) copy.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
        foreach (var option in original.Options) ((IDictionary<string, object?>)copy.Options)[option.Key] = option.Value;
        return copy;
    }
}
