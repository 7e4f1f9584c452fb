using System.Collections.Concurrent;

namespace PacketCluster.Engine.ControlPlane;

/// <summary>Whether a kube-apiserver answers <c>/readyz</c> (etcd reachable included) at an address, trusting only the cluster CA.</summary>
public interface IApiServerProbe
{
    Task<bool> IsReadyAsync(string host, int port, string caPem, CancellationToken cancellationToken);
}

/// <summary>
/// <c>GET https://host:port/readyz</c>, anonymous (kubeadm's clusters let anyone read the health endpoints), bounded by
/// <see cref="Timeout"/> so a silent machine costs seconds, not a reconcile.
/// </summary>
public sealed class HttpApiServerProbe : IApiServerProbe, IDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private readonly ConcurrentDictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);

    public async Task<bool> IsReadyAsync(string host, int port, string caPem, CancellationToken cancellationToken)
    {
        var http = _clients.GetOrAdd(caPem, pem => new HttpClient(ClusterTls.Handler(pem)) { Timeout = Timeout });
        var authority = host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";
        try
        {
            using var response = await http.GetAsync($"https://{authority}/readyz", cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Dispose();
        _clients.Clear();
    }
}
