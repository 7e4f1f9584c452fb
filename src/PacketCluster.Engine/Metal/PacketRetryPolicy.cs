using System.Net;

namespace PacketCluster.Engine.Metal;

/// <summary>
/// When and how long to wait before repeating a failed idempotent request. Nothing in packngo or TF retried on status
/// codes (packet-api.md §5); retrying 429/500/502/503/504 is our choice, so the API keeps working under throttling and
/// the simulator's fault injection. 500 ("Oh snap, something went wrong!") is retried too: packngo's first retry policy
/// did, and one transient 500 on a catalogue read must not end a long create. Only idempotent requests are retried,
/// so a 500 on POST /devices still surfaces at once.
/// </summary>
internal sealed class PacketRetryPolicy(PacketApiOptions options, TimeProvider time, Func<double> random)
{
    public int MaxAttempts => options.MaxAttempts;

    public static bool IsRetryableStatus(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable or HttpStatusCode.GatewayTimeout;

    /// <summary>
    /// Wait before retry number <paramref name="retry"/> (1-based). Exponential from the base delay with "equal jitter"
    /// (half fixed, half random) so many machines throttled together spread out; capped. A 429's X-RateLimit-Reset (or a
    /// Retry-After) wins when it is in the future, plus a little jitter, still capped.
    /// </summary>
    public TimeSpan DelayBeforeRetry(int retry, DateTimeOffset? rateLimitReset, TimeSpan? retryAfter)
    {
        var cap = options.RetryMaxDelay;
        TimeSpan? told = null;
        if (rateLimitReset is { } reset && reset > time.GetUtcNow()) told = reset - time.GetUtcNow();
        else if (retryAfter is { } after && after > TimeSpan.Zero) told = after;
        if (told is { } wait)
            return Min(wait + options.RetryBaseDelay * (random() * 0.5), cap);

        var exponential = options.RetryBaseDelay * Math.Pow(2, Math.Min(retry - 1, 30));
        var raw = Min(exponential, cap);
        return raw * (0.5 + random() * 0.5);
    }

    /// <summary>Whether a retry that waits <paramref name="delay"/> still fits in the total budget.</summary>
    public bool FitsBudget(DateTimeOffset firstAttempt, TimeSpan delay) =>
        time.GetUtcNow() - firstAttempt + delay <= options.RetryBudget;

    /// <summary>
    /// X-RateLimit-Reset is unix epoch seconds (packngo rate.go). A small value can only be a delta (some proxies send
    /// one), so it is read as seconds from now.
    /// </summary>
    public DateTimeOffset? ParseRateLimitReset(string? header)
    {
        if (!double.TryParse(header, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var seconds) || seconds < 0)
            return null;
        return seconds < 1_000_000_000
            ? time.GetUtcNow() + TimeSpan.FromSeconds(seconds)
            : DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
