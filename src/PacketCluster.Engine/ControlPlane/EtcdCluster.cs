using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Store;

namespace PacketCluster.Engine.ControlPlane;

/// <summary>No etcd member answered; the message says which addresses were tried and what they said.</summary>
public sealed class EtcdUnavailableException(string message) : Exception(message);

/// <summary>
/// A cluster's stacked etcd through its members' client API (the v3 JSON gateway on port 2379), as Cluster API's
/// KubeadmControlPlane manages it: the engine mints a short-lived client certificate from the cluster's etcd CA Secret,
/// so no etcd credential is ever stored. Every call is bounded; members are tried in turn.
/// </summary>
public sealed class EtcdCluster : IDisposable
{
    public const int ClientPort = 2379;
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(4);
    // The gateway reads the proto field names as written ("ID", "peerURLs"); the web defaults' camelCase turned "ID" into
    // "id", which the gateway ignores, so a removal asked for member 0 and got "member not found".
    internal static readonly JsonSerializerOptions GatewayJson = new();

    private readonly HttpClient _http;
    private readonly IReadOnlyList<string> _hosts;

    private EtcdCluster(HttpClient http, IReadOnlyList<string> hosts)
    {
        _http = http;
        _hosts = hosts;
    }

    /// <summary>A client for the members on <paramref name="hosts"/>; null when the cluster has no etcd CA Secret.</summary>
    public static async Task<EtcdCluster?> OpenAsync(IStateStore store, string ns, string clusterName, IReadOnlyList<string> hosts, CancellationToken cancellationToken)
    {
        var pki = await ClusterSecrets.ReadPkiAsync(store, ns, clusterName, cancellationToken).ConfigureAwait(false);
        if (pki is null) return null;
        var issued = pki.EtcdCa.IssueClientCertificate("packetcluster-etcd-client", ["system:masters"], TimeSpan.FromHours(1));
        var certificate = X509Certificate2.CreateFromPem(issued.CertificatePem, issued.PrivateKeyPem);
        return new EtcdCluster(new HttpClient(ClusterTls.Handler(pki.EtcdCa.CertificatePem, certificate)) { Timeout = CallTimeout }, hosts);
    }

    public IReadOnlyList<string> Hosts => _hosts;

    /// <exception cref="EtcdUnavailableException">No member answered.</exception>
    public async Task<IReadOnlyList<EtcdMember>> MembersAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var host in _hosts)
        {
            var (answer, problem) = await PostAsync(ClientUrl(host), "/v3/cluster/member/list", new { }, cancellationToken).ConfigureAwait(false);
            if (answer is { } json) return ParseMembers(json);
            problems.Add($"{host}: {problem}");
        }
        throw new EtcdUnavailableException($"no etcd member answered ({string.Join("; ", problems)})");
    }

    /// <summary>Whether the member serves (its /health says true: it has a leader and its store works).</summary>
    public async Task<bool> IsHealthyAsync(EtcdMember member, CancellationToken cancellationToken)
    {
        if (!member.Started || member.ClientUrls.Count == 0) return false;
        try
        {
            using var response = await _http.GetAsync(member.ClientUrls[0].TrimEnd('/') + "/health", cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) return false;
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            return json.RootElement.TryGetProperty("health", out var health) && health.ValueKind == JsonValueKind.String && health.GetString() == "true";
        }
        catch (Exception e) when (e is HttpRequestException or JsonException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return false;
        }
    }

    /// <summary>Removes a member through any member that answers (etcd forwards to the leader).</summary>
    /// <exception cref="EtcdUnavailableException">No member accepted the removal.</exception>
    public async Task RemoveAsync(EtcdMember member, CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        foreach (var host in _hosts.Where(h => h != member.Host).Append(member.Host ?? ""))
        {
            if (host.Length == 0) continue;
            var (answer, problem) = await PostAsync(ClientUrl(host), "/v3/cluster/member/remove", new { ID = member.Id }, cancellationToken).ConfigureAwait(false);
            if (answer is not null) return;
            if (problem.Contains("member not found", StringComparison.OrdinalIgnoreCase)) return;
            problems.Add($"{host}: {problem}");
        }
        throw new EtcdUnavailableException($"etcd member {Describe(member)} could not be removed ({string.Join("; ", problems)})");
    }

    public static string Describe(EtcdMember member) => member.Started ? $"{member.Name} ({member.Host})" : $"(not started) {member.Host}";

    private static string ClientUrl(string host) => $"https://{(host.Contains(':') ? $"[{host}]" : host)}:{ClientPort}";

    private async Task<(JsonDocument? Answer, string Problem)> PostAsync(string baseUrl, string path, object body, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.PostAsJsonAsync(baseUrl + path, body, GatewayJson, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            JsonDocument? json = null;
            try { json = JsonDocument.Parse(text); } catch (JsonException) { }
            if (response.IsSuccessStatusCode && json is not null) return (json, "");
            var error = json?.RootElement.TryGetProperty("error", out var e) == true && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
            json?.Dispose();
            return (null, error ?? $"HTTP {(int)response.StatusCode}");
        }
        catch (HttpRequestException e)
        {
            return (null, e.HttpRequestError.ToString());
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"no answer within {CallTimeout.TotalSeconds:0} s");
        }
    }

    /// <summary>etcd's JSON gateway writes uint64 ids as strings; numbers are accepted too.</summary>
    internal static IReadOnlyList<EtcdMember> ParseMembers(JsonDocument answer)
    {
        using (answer)
        {
            if (!answer.RootElement.TryGetProperty("members", out var members) || members.ValueKind != JsonValueKind.Array) return [];
            return members.EnumerateArray().Select(m => new EtcdMember(
                m.TryGetProperty("ID", out var id) ? (id.ValueKind == JsonValueKind.String ? id.GetString() ?? "" : id.GetRawText()) : "",
                m.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String ? name.GetString() ?? "" : "",
                Strings(m, "peerURLs"), Strings(m, "clientURLs"))).ToList();
        }
    }

    private static List<string> Strings(JsonElement element, string property) =>
        element.TryGetProperty(property, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToList()
            : [];

    public void Dispose() => _http.Dispose();
}
