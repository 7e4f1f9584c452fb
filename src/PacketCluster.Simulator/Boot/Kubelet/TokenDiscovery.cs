using System.Buffers.Text;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using k8s;
using k8s.KubeConfigModels;
using k8s.Models;

namespace PacketCluster.Simulator.Boot.Kubelet;

/// <summary>The cluster as token discovery found and proved it: where to talk to and which CA to trust.</summary>
internal sealed record DiscoveredCluster(string Server, X509Certificate2Collection CertificateAuthorities);

/// <summary>
/// kubeadm's bootstrap-token discovery: read kube-public/cluster-info anonymously over unverified TLS, accept it only if
/// its <c>jws-kubeconfig-&lt;token-id&gt;</c> signature proves the server knows the token and the CA in it matches a
/// pin, then read it again over TLS verified against that CA.
/// </summary>
internal sealed class TokenDiscovery(
    string endpointUrl, string tokenId, string tokenSecret, IReadOnlyList<string> pins, bool unsafeSkipCaVerification,
    SimulatedKubeletOptions options, TimeProvider time, Action<string> say)
{
    public const string ClusterInfoPath = "/api/v1/namespaces/kube-public/configmaps/cluster-info";
    private const string KubeconfigKey = "kubeconfig";
    private const string SignaturePrefix = "jws-kubeconfig-";
    private const string Phase = "error execution phase preflight: couldn't validate the identity of the API Server: ";

    public async Task<DiscoveredCluster> RunAsync(CancellationToken stopping)
    {
        say($"[discovery] Trying to connect to API Server \"{Host}\"");
        var (kubeconfig, signature) = await ReadSignedClusterInfoAsync(stopping);
        var config = ParseKubeconfig(kubeconfig);
        var authorities = ReadAuthorities(config);
        var pinned = PinnedAuthority(authorities);

        if (signature is null)
            throw await TokenRejectedAsync(
                $"token id \"{tokenId}\" is invalid for this cluster or it has expired (no JWS signature for it in cluster-info after {options.DiscoveryTimeout.TotalSeconds:0} s)",
                pinned, authorities, stopping);
        if (!DetachedSignatureIsValid(signature, kubeconfig))
            throw await TokenRejectedAsync("failed to verify JWS signature of received cluster info object, can't trust this API Server", pinned, authorities, stopping);
        if (!pinned.Matches)
            throw Fail($"cluster CA found in cluster-info ConfigMap is invalid: none of the public keys \"{string.Join(", ", pinned.Actual)}\" " +
                       $"are pinned (discovery.bootstrapToken.caCertHashes: {string.Join(", ", pins)})");

        // From here on only the CA the pin vouched for is trusted; the content must not change between the two reads.
        using var verified = new HttpClient(ClusterTrust.Trusting(authorities, options.RequestTimeout)) { Timeout = options.RequestTimeout };
        HttpStatusCode status;
        V1ConfigMap? secondMap;
        try
        {
            (status, secondMap) = await ReadClusterInfoAsync(verified, stopping);
        }
        catch (Exception error) when (Failures.IsTransient(error, stopping))
        {
            // E.g. the serving certificate is not from the pinned CA or does not name this endpoint.
            throw Fail($"failed to re-read cluster-info from \"{endpointUrl}\" over TLS verified against the pinned CA: {Failures.Describe(error)}");
        }
        if (status != HttpStatusCode.OK || Entry(secondMap, KubeconfigKey) is not { } second)
            throw Fail($"failed to re-read cluster-info from \"{endpointUrl}\" over TLS verified against the pinned CA: {Failures.StatusText(status)}");
        if (second != kubeconfig)
            throw Fail("the second kubeconfig from the cluster-info ConfigMap did not match the first");

        var server = config.Clusters?.FirstOrDefault()?.ClusterEndpoint?.Server ?? endpointUrl;
        say(unsafeSkipCaVerification && pins.Count == 0
            ? $"[discovery] Cluster info signature and contents are valid and no TLS pinning was specified, will use API Server \"{Host}\""
            : $"[discovery] Cluster info signature and contents are valid and TLS certificate validates against pinned roots, will use API Server \"{Host}\"");
        return new DiscoveredCluster(server, authorities);
    }

    private string Host => new Uri(endpointUrl).Authority;

    private Uri ClusterInfoUri => new(new Uri(endpointUrl), ClusterInfoPath);

    /// <summary>
    /// Retries (bounded) while the endpoint is unreachable, cluster-info is not readable or not yet signed for this token
    /// (the bootstrapsigner controller adds the signature a moment after the token Secret appears). A null signature:
    /// still unsigned when time ran out.
    /// </summary>
    private async Task<(string Kubeconfig, string? Signature)> ReadSignedClusterInfoAsync(CancellationToken stopping)
    {
        var deadline = time.GetUtcNow() + options.DiscoveryTimeout;
        using var insecure = new HttpClient(ClusterTrust.Insecure(options.RequestTimeout)) { Timeout = options.RequestTimeout };
        say($"[discovery] Created cluster-info discovery client, requesting info from \"{endpointUrl}\"");
        while (true)
        {
            string problem;
            string? unsignedKubeconfig = null;
            try
            {
                var (status, map) = await ReadClusterInfoAsync(insecure, stopping);
                var kubeconfig = Entry(map, KubeconfigKey);
                var signature = Entry(map, SignaturePrefix + tokenId);
                if (status == HttpStatusCode.OK && kubeconfig is not null && signature is { Length: > 0 })
                    return (kubeconfig, signature);
                unsignedKubeconfig = status == HttpStatusCode.OK ? kubeconfig : null;
                problem = status != HttpStatusCode.OK
                    ? $"Failed to request cluster-info from \"{endpointUrl}\": {Failures.StatusText(status)}"
                    : kubeconfig is null
                        ? "The cluster-info ConfigMap has no kubeconfig"
                        : $"The cluster-info ConfigMap does not yet contain a JWS signature for token ID \"{tokenId}\"";
            }
            catch (Exception error) when (Failures.IsTransient(error, stopping))
            {
                problem = $"Failed to request cluster-info from \"{endpointUrl}\": {Failures.Describe(error)}";
            }

            if (time.GetUtcNow() >= deadline)
            {
                if (unsignedKubeconfig is not null)
                    return (unsignedKubeconfig, null);
                throw Fail($"{problem}; gave up after {options.DiscoveryTimeout.TotalSeconds:0} s");
            }
            say($"[discovery] {problem}, will try again");
            await Task.Delay(options.DiscoveryRetryInterval, time, stopping);
        }
    }

    private async Task<(HttpStatusCode Status, V1ConfigMap? Map)> ReadClusterInfoAsync(HttpClient http, CancellationToken stopping)
    {
        using var response = await http.GetAsync(ClusterInfoUri, stopping);
        if (response.StatusCode != HttpStatusCode.OK)
            return (response.StatusCode, null);
        try
        {
            return (response.StatusCode, KubernetesJson.Deserialize<V1ConfigMap>(await response.Content.ReadAsStringAsync(stopping)));
        }
        catch (JsonException)
        {
            return (response.StatusCode, null);
        }
    }

    private static string? Entry(V1ConfigMap? map, string key) => map?.Data is { } data && data.TryGetValue(key, out var value) ? value : null;

    /// <summary>
    /// A compact JWS with a detached payload, "H..S": H = base64url({"alg":"HS256","kid":"&lt;id&gt;"}), S = base64url of
    /// HMAC-SHA256 keyed with the token secret over "H." + base64url(kubeconfig), as the bootstrapsigner controller signs.
    /// </summary>
    private bool DetachedSignatureIsValid(string jws, string payload)
    {
        var parts = jws.Split('.');
        if (parts.Length != 3 || parts[1].Length != 0)
            return false;
        try
        {
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
            if (header.RootElement.ValueKind != JsonValueKind.Object
                || !header.RootElement.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != "HS256"
                || !header.RootElement.TryGetProperty("kid", out var kid) || kid.ValueKind != JsonValueKind.String || kid.GetString() != tokenId)
                return false;
            var signingInput = $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload))}";
            var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(tokenSecret), Encoding.ASCII.GetBytes(signingInput));
            return CryptographicOperations.FixedTimeEquals(expected, Base64Url.DecodeFromChars(parts[2]));
        }
        catch (Exception error) when (error is FormatException or JsonException)
        {
            return false;
        }
    }

    private K8SConfiguration ParseKubeconfig(string kubeconfig)
    {
        try
        {
            return KubernetesYaml.Deserialize<K8SConfiguration>(kubeconfig);
        }
        catch (Exception error) when (error is YamlDotNet.Core.YamlException or InvalidOperationException)
        {
            throw Fail("the kubeconfig in the cluster-info ConfigMap cannot be parsed");
        }
    }

    private X509Certificate2Collection ReadAuthorities(K8SConfiguration config)
    {
        var data = config.Clusters?.FirstOrDefault()?.ClusterEndpoint?.CertificateAuthorityData;
        try
        {
            var bundle = data is null ? [] : ClusterTrust.ParseBundle(Encoding.UTF8.GetString(Convert.FromBase64String(data)));
            return bundle.Count > 0 ? bundle : throw Fail("the kubeconfig in the cluster-info ConfigMap has no certificate-authority-data");
        }
        catch (Exception error) when (error is FormatException or CryptographicException)
        {
            throw Fail("the certificate-authority-data in the cluster-info ConfigMap is not a PEM certificate bundle");
        }
    }

    private sealed record PinCheck(bool Matches, IReadOnlyList<string> Actual);

    /// <summary>kubeadm's CheckAny: some CA in the bundle must match some pin; no pins at all only with unsafeSkipCAVerification.</summary>
    private PinCheck PinnedAuthority(X509Certificate2Collection authorities)
    {
        var actual = authorities.Select(ClusterTrust.PinOf).ToList();
        if (pins.Count == 0)
            return new PinCheck(unsafeSkipCaVerification, actual);
        return new PinCheck(actual.Any(a => pins.Any(p => string.Equals(p, a, StringComparison.OrdinalIgnoreCase))), actual);
    }

    /// <summary>
    /// The token did not prove itself. If the CA is pinned the server can be trusted with the token, so ask it: its
    /// 401 is the definite answer. An unverified server never sees the token.
    /// </summary>
    private async Task<KubeletJoinException> TokenRejectedAsync(string reason, PinCheck pinned, X509Certificate2Collection authorities, CancellationToken stopping)
    {
        var verdict = "cluster-info carries no valid signature for it";
        if (pinned.Matches && pins.Count > 0)
        {
            try
            {
                using var http = new HttpClient(ClusterTrust.Trusting(authorities, options.RequestTimeout)) { Timeout = options.RequestTimeout };
                using var request = new HttpRequestMessage(HttpMethod.Get, ClusterInfoUri);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", $"{tokenId}.{tokenSecret}");
                using var response = await http.SendAsync(request, stopping);
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                    verdict = Failures.StatusText(response.StatusCode);
            }
            catch (Exception error) when (Failures.IsTransient(error, stopping))
            {
                // The verdict stays the signature's.
            }
        }
        return Fail($"{reason}: bootstrap token \"{tokenId}\" rejected ({verdict})");
    }

    private static KubeletJoinException Fail(string message) => new("kubeadm join", Phase + message);
}
