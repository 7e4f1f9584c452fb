using System.Net;

namespace PacketCluster.Engine.ControlPlane;

/// <summary>
/// A read the API server could not serve for a moment is asked again, a bounded number of times: while etcd elects a
/// new leader (a control plane powered off, a member leaving) kube-apiserver answers 500 ("leader changed", "request
/// timed out"), 503 or 504 for a second or two. Writes are never repeated here: one that failed may have been applied.
/// </summary>
public sealed class TransientReadRetryHandler : DelegatingHandler
{
    private const int Attempts = 4;
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(1);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Get || request.RequestUri?.Query.Contains("watch=", StringComparison.Ordinal) == true)
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            // A server that cannot be reached is the failover handler's case (the next control plane), and an
            // unreachable management cluster must fail fast with its own error: only answers are retried here.
            var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (attempt >= Attempts || !IsTransient(response.StatusCode)) return response;
            response.Dispose();
            await Task.Delay(Pause, cancellationToken).ConfigureAwait(false);
        }
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;
}

/// <summary>The handlers of every connection to a cluster we manage: reads retried through an etcd election, and the endpoint's fallback to the other control planes.</summary>
public static class ManagementConnection
{
    public static DelegatingHandler[] Handlers() => [new TransientReadRetryHandler(), new ControlPlaneFailoverHandler()];
}
