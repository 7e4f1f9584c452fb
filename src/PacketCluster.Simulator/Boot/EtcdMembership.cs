using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace PacketCluster.Simulator.Boot;

/// <summary>Where a joining control plane finds the running etcd members (their client URLs, from kubeadm's ClusterStatus).</summary>
public sealed record EtcdJoin(IReadOnlyList<string> ClientUrls);

/// <summary>
/// What <c>kubeadm join --control-plane</c> does with etcd before it starts the local member: adds it through the
/// client API (v3 JSON gateway) of a running member, authenticated with a certificate from the etcd CA, and builds
/// <c>--initial-cluster</c> from the answer. etcd refuses an add while an earlier added member has not started yet
/// ("unhealthy cluster", strict reconfiguration check), so control planes that join at the same moment take turns:
/// each add is retried, bounded.
/// </summary>
internal sealed class EtcdMembership : IDisposable
{
    private static readonly TimeSpan AddTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(1);
    // The gateway reads the proto field names as written (ID, peerURLs), not the web defaults' camelCase.
    private static readonly JsonSerializerOptions GatewayJson = new();

    private readonly HttpClient _http;
    private readonly IReadOnlyList<string> _clientUrls;
    private readonly IConsoleLog _console;

    public EtcdMembership(IReadOnlyList<string> clientUrls, string caPem, string clientCertificatePem, string clientKeyPem, IConsoleLog console)
    {
        var handler = ControlPlane.Handler(caPem);
        handler.ClientCertificates.Add(X509Certificate2.CreateFromPem(clientCertificatePem, clientKeyPem));
        _http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
        _clientUrls = clientUrls;
        _console = console;
    }

    /// <summary>Adds <paramref name="peerUrl"/> as a member; returns the <c>--initial-cluster</c> value for it (named <paramref name="name"/>).</summary>
    /// <exception cref="BootException">No member accepted the add within the bound.</exception>
    public async Task<string> AddAsync(string name, string peerUrl, CancellationToken cancel)
    {
        var started = Stopwatch.StartNew();
        string last = "no etcd client URL in kubeadm-config";
        var waitingSaid = false;
        while (started.Elapsed < AddTimeout)
        {
            foreach (var url in _clientUrls)
            {
                var (members, error) = await CallAsync(url, "/v3/cluster/member/add", new { peerURLs = new[] { peerUrl } }, cancel);
                if (members is not null)
                {
                    _console.WriteLine($"[etcd] Added member {name} ({peerUrl}) through {url}; the cluster has {members.Count} member(s)");
                    return InitialCluster(members, name, peerUrl);
                }
                if (error.Contains("Peer URLs already exists", StringComparison.OrdinalIgnoreCase))
                {
                    // An earlier attempt got through but its answer was lost: the member is there, read who else is.
                    return await InitialClusterAsync(name, peerUrl, cancel);
                }
                last = $"{url}: {error}";
            }
            if (!waitingSaid)
            {
                _console.WriteLine($"[etcd] Waiting to add member {name}: {last} (another member may still be starting; retrying up to {AddTimeout.TotalSeconds:0} s)");
                waitingSaid = true;
            }
            await Task.Delay(RetryInterval, cancel);
        }
        throw new BootException($"could not add etcd member {name} within {AddTimeout.TotalSeconds:0} s: {last}");
    }

    /// <summary>The current membership as <c>--initial-cluster</c> for a member already added (its start raced another add).</summary>
    public async Task<string> InitialClusterAsync(string name, string peerUrl, CancellationToken cancel)
    {
        var last = "";
        foreach (var url in _clientUrls)
        {
            var (members, error) = await CallAsync(url, "/v3/cluster/member/list", new { }, cancel);
            if (members is not null) return InitialCluster(members, name, peerUrl);
            last = $"{url}: {error}";
        }
        throw new BootException($"could not list the etcd members: {last}");
    }

    /// <summary>
    /// name=peerURL for every member. Members that have not started yet have no name; etcd matches them by peer URL, so
    /// they are named after it (names only have to be distinct), and this member by its own name.
    /// </summary>
    internal static string InitialCluster(IReadOnlyList<Member> members, string name, string peerUrl)
    {
        var entries = new List<string>();
        foreach (var member in members)
        {
            foreach (var url in member.PeerUrls ?? [])
            {
                var memberName = url == peerUrl ? name : string.IsNullOrEmpty(member.Name) ? "unstarted-" + new Uri(url).Host : member.Name;
                entries.Add($"{memberName}={url}");
            }
        }
        if (!entries.Contains($"{name}={peerUrl}")) entries.Add($"{name}={peerUrl}");
        return string.Join(',', entries);
    }

    private async Task<(IReadOnlyList<Member>? Members, string Error)> CallAsync(string url, string path, object body, CancellationToken cancel)
    {
        try
        {
            using var response = await _http.PostAsJsonAsync(url.TrimEnd('/') + path, body, GatewayJson, cancel);
            var text = await response.Content.ReadAsStringAsync(cancel);
            if (!response.IsSuccessStatusCode)
            {
                var message = TryRead<ErrorAnswer>(text)?.Error ?? $"HTTP {(int)response.StatusCode}";
                return (null, message);
            }
            return TryRead<MembersAnswer>(text)?.Members is { } members ? (members, "") : (null, "the answer holds no member list");
        }
        catch (HttpRequestException e)
        {
            return (null, e.HttpRequestError.ToString());
        }
        catch (TaskCanceledException) when (!cancel.IsCancellationRequested)
        {
            return (null, "no answer within 5 s");
        }
    }

    private static T? TryRead<T>(string text) where T : class
    {
        try { return JsonSerializer.Deserialize<T>(text); }
        catch (JsonException) { return null; }
    }

    internal sealed record Member(
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("peerURLs")] List<string>? PeerUrls);

    private sealed record MembersAnswer([property: JsonPropertyName("members")] List<Member>? Members);

    private sealed record ErrorAnswer([property: JsonPropertyName("error")] string? Error);

    public void Dispose() => _http.Dispose();
}
