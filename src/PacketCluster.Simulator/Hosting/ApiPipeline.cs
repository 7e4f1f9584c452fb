using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using PacketCluster.Simulator.Api;
using PacketCluster.Simulator.State;

namespace PacketCluster.Simulator.Hosting;

/// <summary>
/// What the real service does around every call (packet-api.md §1, §5): X-Request-Id on every response, JSON
/// error bodies (also for 404/405 from routing), X-Auth-Token, then request counting, rate limit and faults.
/// The admin API (/_simulator) needs the key but is never limited, faulted or counted.
/// </summary>
public sealed class ApiPipeline(string apiKey, RequestCounter counter, RateLimiter limiter, FaultInjector faults, ILogger logger)
{
    public const string AdminPrefix = "/_simulator";
    private readonly byte[] _key = Encoding.UTF8.GetBytes(apiKey);

    /// <summary>Outermost: request id and error shaping.</summary>
    public async Task Errors(HttpContext context, RequestDelegate next)
    {
        context.Response.Headers["X-Request-Id"] = Guid.NewGuid().ToString();
        try
        {
            await next(context);
            if (context.Response.StatusCode >= 400 && !context.Response.HasStarted && context.Response.ContentType is null)
                await WriteErrors(context, context.Response.StatusCode, context.Response.StatusCode switch
                {
                    404 => "Not found",
                    405 => "Method not allowed",
                    _ => ReasonPhrases(context.Response.StatusCode),
                });
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            await WriteErrors(context, e.Status, e.Errors.ToArray());
        }
        catch (PoolExhaustedException e) when (!context.Response.HasStarted)
        {
            await WriteErrors(context, 422, e.Message);
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            logger.LogError(e, "unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
            await WriteErrors(context, 500, FaultInjector.DefaultMessage(500));
        }
    }

    private static string ReasonPhrases(int status) => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } p ? p : "Error";

    public static Task WriteErrors(HttpContext context, int status, params string[] errors)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        return context.Response.WriteAsync(ApiException.Body(errors).ToJsonString());
    }

    /// <summary>After routing: auth, then (API only) count, rate limit, faults.</summary>
    public async Task Guard(HttpContext context, RequestDelegate next)
    {
        var provided = context.Request.Headers["X-Auth-Token"].ToString();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(provided), _key))
        {
            // packngo's invalid-credentials test only checks that the text contains "Invalid" (packet-api.md §5).
            await WriteErrors(context, 401, "Invalid API key");
            return;
        }
        var path = context.Request.Path.Value ?? "/";
        if (path.StartsWith(AdminPrefix, StringComparison.Ordinal))
        {
            await next(context);
            return;
        }
        var apiPath = path.StartsWith(Renderer.Prefix + "/", StringComparison.Ordinal) ? path[Renderer.Prefix.Length..] : path;
        var template = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText is { } raw
            ? (raw.StartsWith(Renderer.Prefix, StringComparison.Ordinal) ? raw[Renderer.Prefix.Length..] : raw)
            : "(unmatched)";
        if (!template.StartsWith('/')) template = "/" + template;
        counter.Add(context.Request.Method, template);
        using var inFlight = counter.Enter();

        var rate = limiter.Take();
        if (rate is not null)
        {
            SetRateHeaders(context, rate);
            if (rate.Exceeded)
            {
                await WriteErrors(context, 429, FaultInjector.DefaultMessage(429));
                return;
            }
        }

        var (latency, hit) = faults.Decide(context.Request.Method, apiPath);
        if (latency > TimeSpan.Zero) await Task.Delay(latency, context.RequestAborted);
        if (hit is { Handled: true })
        {
            await HandleThenLoseAnswer(context, next, hit);
            return;
        }
        if (hit is not null)
        {
            if (hit.Drop)
            {
                // The client sees a reset connection mid-request: no status, no body.
                context.Abort();
                return;
            }
            var status = hit.Status!.Value;
            if (status == 429) SetRateHeaders(context, rate is null ? limiter.Peek() : rate with { Remaining = 0 });
            await WriteErrors(context, status, hit.Message ?? FaultInjector.DefaultMessage(status));
            return;
        }
        await next(context);
    }

    /// <summary>
    /// The request takes effect, then its answer is lost on the way back: the handler's response is buffered and thrown
    /// away, and the client sees a reset connection or a proxy's 5xx instead.
    /// </summary>
    private async Task HandleThenLoseAnswer(HttpContext context, RequestDelegate next, Config.RequestFaultRule hit)
    {
        var original = context.Response.Body;
        using var discarded = new MemoryStream();
        context.Response.Body = discarded;
        try { await next(context); }
        finally { context.Response.Body = original; }
        logger.LogInformation("Fault {Fault}: {Method} {Path} was handled ({Status}), its answer is lost", hit.Name ?? "(unnamed)", context.Request.Method, context.Request.Path, context.Response.StatusCode);
        if (hit.Drop)
        {
            context.Abort();
            return;
        }
        context.Response.Clear();
        await WriteErrors(context, hit.Status!.Value, hit.Message ?? FaultInjector.DefaultMessage(hit.Status.Value));
    }

    private static void SetRateHeaders(HttpContext context, RateLimiter.Decision d)
    {
        context.Response.Headers["X-RateLimit-Limit"] = d.Limit.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["X-RateLimit-Remaining"] = d.Remaining.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.Headers["X-RateLimit-Reset"] = d.Reset.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}
