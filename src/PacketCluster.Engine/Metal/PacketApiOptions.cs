using System.Reflection;
using System.Text;

namespace PacketCluster.Engine.Metal;

/// <summary>
/// How <see cref="PacketClient"/> reaches the Packet (Equinix Metal) API. <see cref="ToString"/> never prints the key.
/// </summary>
public sealed record PacketApiOptions
{
    /// <summary>The Metal-era base URL (packet-api.md §1); the relative paths are the same as in the Packet era.</summary>
    public static readonly Uri DefaultEndpoint = new("https://api.equinix.com/metal/v1/");

    /// <summary>"PacketCluster/&lt;engine informational version&gt;": sent as User-Agent and, by default, X-Consumer-Token.</summary>
    public static string ProductToken { get; } = "PacketCluster/" + EngineVersion();

    /// <summary>Base URL, e.g. the simulator's http://127.0.0.1:8080/metal/v1/. A missing trailing slash is added.</summary>
    public Uri Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>User or project API key, sent as X-Auth-Token. Never logged, never in a message.</summary>
    public string ApiKey { get; init; } = "";

    /// <summary>Default project (PACKET_PROJECT_ID); the client itself always takes the project as a parameter.</summary>
    public string? ProjectId { get; init; }

    /// <summary>X-Consumer-Token: tells Equinix which integration made the call (CAPP sends "CAPP-v1beta1").</summary>
    public string ConsumerToken { get; init; } = ProductToken;

    public string UserAgent { get; init; } = ProductToken;

    /// <summary>Most attempts (first try included) for a retryable failure of an idempotent request.</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>First backoff; doubles per retry, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Longest single wait, also the bound on an X-RateLimit-Reset far in the future.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>No retry starts once this much time has passed since the first attempt (waits included).</summary>
    public TimeSpan RetryBudget { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Per attempt: sending the request and reading the whole response.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Bound on pages followed by one list call; more means the server is not advancing pages.</summary>
    public int MaxPages { get; init; } = 1000;

    /// <summary>
    /// Options from the environment: PACKET_API_URL (endpoint, e.g. the simulator), PACKET_PROJECT_ID, and the key from
    /// <paramref name="apiKey"/>, else PACKET_API_KEY, else METAL_AUTH_TOKEN (the names the cmdlets use).
    /// </summary>
    public static PacketApiOptions FromEnvironment(string? apiKey = null)
    {
        var url = NonEmpty(Environment.GetEnvironmentVariable("PACKET_API_URL"));
        Uri endpoint = DefaultEndpoint;
        if (url is not null && !Uri.TryCreate(url, UriKind.Absolute, out endpoint!))
            throw new PacketClusterException("PacketApiOptionsInvalid", ErrorKind.InvalidArgument,
                $"PACKET_API_URL is not an absolute URL: '{url}'. Set it to e.g. https://api.equinix.com/metal/v1/ or unset it.",
                "Set PACKET_API_URL to an absolute URL such as https://api.equinix.com/metal/v1/, or unset it.", url);

        return new PacketApiOptions
        {
            Endpoint = endpoint,
            ApiKey = NonEmpty(apiKey)
                ?? NonEmpty(Environment.GetEnvironmentVariable("PACKET_API_KEY"))
                ?? NonEmpty(Environment.GetEnvironmentVariable("METAL_AUTH_TOKEN"))
                ?? "",
            ProjectId = NonEmpty(Environment.GetEnvironmentVariable("PACKET_PROJECT_ID")),
        };
    }

    /// <summary>Throws an InvalidArgument <see cref="PacketClusterException"/> naming every bad setting (never the key's value).</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (!Endpoint.IsAbsoluteUri || (Endpoint.Scheme != Uri.UriSchemeHttps && Endpoint.Scheme != Uri.UriSchemeHttp))
            problems.Add($"Endpoint must be an absolute http(s) URL, not '{Endpoint}'.");
        if (string.IsNullOrWhiteSpace(ApiKey))
            problems.Add("No API key: pass -ApiKey or set PACKET_API_KEY (or METAL_AUTH_TOKEN).");
        else if (ApiKey.Any(char.IsControl) || ApiKey.Trim().Length != ApiKey.Length)
            problems.Add("The API key contains whitespace or control characters; copy it again from the Equinix Metal console.");
        if (MaxAttempts < 1) problems.Add("MaxAttempts must be at least 1.");
        if (RetryBaseDelay < TimeSpan.Zero || RetryMaxDelay < RetryBaseDelay) problems.Add("Retry delays must satisfy 0 <= RetryBaseDelay <= RetryMaxDelay.");
        if (RetryBudget < TimeSpan.Zero) problems.Add("RetryBudget must not be negative.");
        if (Timeout <= TimeSpan.Zero) problems.Add("Timeout must be positive.");
        if (MaxPages < 1) problems.Add("MaxPages must be at least 1.");
        if (problems.Count > 0)
            throw new PacketClusterException("PacketApiOptionsInvalid", ErrorKind.InvalidArgument,
                "Packet API settings are invalid: " + string.Join(" ", problems),
                "Fix each setting listed in the message (API key, PACKET_API_URL, timeouts, retries), then run Connect-PacketApi again.", Endpoint.ToString());
    }

    // The compiler-generated ToString would print ApiKey; this one shows only whether a key is set.
    public override string ToString()
    {
        var text = new StringBuilder("PacketApiOptions { ");
        text.Append("Endpoint = ").Append(Endpoint)
            .Append(", ApiKey = ").Append(string.IsNullOrEmpty(ApiKey) ? "(none)" : "(redacted)")
            .Append(", ProjectId = ").Append(ProjectId ?? "(none)")
            .Append(", ConsumerToken = ").Append(ConsumerToken)
            .Append(", UserAgent = ").Append(UserAgent)
            .Append(", MaxAttempts = ").Append(MaxAttempts)
            .Append(", RetryBaseDelay = ").Append(RetryBaseDelay)
            .Append(", RetryMaxDelay = ").Append(RetryMaxDelay)
            .Append(", RetryBudget = ").Append(RetryBudget)
            .Append(", Timeout = ").Append(Timeout)
            .Append(", MaxPages = ").Append(MaxPages)
            .Append(" }");
        return text.ToString();
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string EngineVersion()
    {
        var assembly = typeof(PacketApiOptions).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        return string.IsNullOrEmpty(informational) ? assembly.GetName().Version?.ToString() ?? "0.0.0" : informational;
    }
}
