using System.Diagnostics;
using System.Net;
using PacketCluster.Engine.Metal;
using Xunit;

namespace PacketCluster.Engine.Tests.Metal;

/// <summary>Retries: only idempotent calls, only overload answers and transport errors, bounded, logged, cancellable.</summary>
public class PacketClientRetryTests
{
    private const string P = MetalTestClient.ProjectId;
    private const string OneDevice = """{"devices":[{"id":"d1"}],"meta":{"current_page":1,"last_page":1}}""";

    [Fact]
    public async Task Retries_429_after_waiting_until_X_RateLimit_Reset()
    {
        using var t = new MetalTestClient(jitter: 0);
        var reset = t.Time.GetUtcNow().AddSeconds(7);
        t.Handler.Respond(HttpStatusCode.TooManyRequests, """{"errors":["rate limited"]}""",
                r => r.Headers.Add("X-RateLimit-Reset", reset.ToUnixTimeSeconds().ToString()))
            .Respond(HttpStatusCode.OK, """{"id":"d1"}""");

        var device = await t.Client.GetDeviceAsync("d1");

        Assert.Equal("d1", device.Id);
        Assert.Equal(2, t.Handler.Requests.Count);
        Assert.Equal(TimeSpan.FromSeconds(7), Assert.Single(t.Time.Waits));
        Assert.Equal("Packet API: GET /devices/d1 returned 429; retry 1 of 5 in 7.0 s", Assert.Single(t.Log.Verbose));
    }

    [Fact]
    public async Task Rate_limit_reset_far_in_the_future_is_capped()
    {
        using var t = new MetalTestClient(jitter: 0);
        t.Handler.Respond(HttpStatusCode.TooManyRequests, "{}", r => r.Headers.Add("X-RateLimit-Reset", t.Time.GetUtcNow().AddHours(1).ToUnixTimeSeconds().ToString()))
            .Respond(HttpStatusCode.OK, """{"id":"d1"}""");

        await t.Client.GetDeviceAsync("d1");

        Assert.Equal(t.Options.RetryMaxDelay, Assert.Single(t.Time.Waits));
    }

    [Fact]
    public async Task Rate_limit_reset_on_a_503_does_not_stretch_the_backoff()
    {
        using var t = new MetalTestClient(jitter: 0);
        t.Handler.Respond(HttpStatusCode.ServiceUnavailable, "{}", r => r.Headers.Add("X-RateLimit-Reset", t.Time.GetUtcNow().AddSeconds(20).ToUnixTimeSeconds().ToString()))
            .Respond(HttpStatusCode.OK, """{"id":"d1","customdata":{"a":{"b":1}}}""");

        var device = await t.Client.GetDeviceAsync("d1");

        Assert.Equal(TimeSpan.FromSeconds(0.25), Assert.Single(t.Time.Waits));
        // Read after the client has disposed its JsonDocument: the element must be an independent copy.
        Assert.Equal(1, device.Customdata!.Value.GetProperty("a").GetProperty("b").GetInt32());
    }

    [Fact]
    public async Task Retries_503_with_exponential_backoff_and_bounded_attempts()
    {
        using var t = new MetalTestClient(jitter: 0.5);
        t.Handler.Fallback = _ => ScriptedHandler.Response(HttpStatusCode.ServiceUnavailable, """{"errors":["Service Unavailable"]}""");

        var error = await Assert.ThrowsAsync<PacketApiServerException>(() => t.Client.ListDevicesAsync(P));

        Assert.Equal(6, t.Handler.Requests.Count);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Contains("after 6 attempts", error.Message);
        // 0.5 s doubling, equal jitter pinned at the middle (x0.75).
        Assert.Equal([0.375, 0.75, 1.5, 3.0, 6.0], t.Time.Waits.Select(w => w.TotalSeconds));
        Assert.Equal(
            Enumerable.Range(1, 5).Select(i => $"Packet API: GET /projects/{P}/devices?page=1&per_page=100 returned 503; retry {i} of 5 in {t.Time.Waits[i - 1].TotalSeconds:0.0} s"),
            t.Log.Verbose);
    }

    [Fact]
    public async Task Backoff_is_capped_and_jittered_between_half_and_full()
    {
        using var low = new MetalTestClient(o => o with { MaxAttempts = 10, RetryBudget = TimeSpan.FromHours(1) }, jitter: 0);
        using var high = new MetalTestClient(o => o with { MaxAttempts = 10, RetryBudget = TimeSpan.FromHours(1) }, jitter: 0.999999);
        foreach (var t in new[] { low, high })
            t.Handler.Fallback = _ => ScriptedHandler.Response(HttpStatusCode.BadGateway);

        await Assert.ThrowsAsync<PacketApiServerException>(() => low.Client.GetMetrosAsync());
        await Assert.ThrowsAsync<PacketApiServerException>(() => high.Client.GetMetrosAsync());

        Assert.Equal(15, low.Time.Waits[^1].TotalSeconds, 3);   // 0.5 * 2^8 = 128 s, capped at 30 s, x0.5
        Assert.InRange(high.Time.Waits[^1].TotalSeconds, 29.9, 30);
        Assert.All(high.Time.Waits, w => Assert.True(w <= TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Retrying_stops_at_the_total_budget()
    {
        using var t = new MetalTestClient(o => o with { MaxAttempts = 100, RetryBudget = TimeSpan.FromSeconds(10) }, jitter: 0.999999);
        t.Handler.Fallback = _ => ScriptedHandler.Response(HttpStatusCode.GatewayTimeout);

        await Assert.ThrowsAsync<PacketApiServerException>(() => t.Client.GetDeviceAsync("d1"));

        // Waits of ~0.5, 1, 2, 4 s fit in 10 s; the next (8 s) would not.
        Assert.Equal(4, t.Time.Waits.Count);
        Assert.Equal(5, t.Handler.Requests.Count);
    }

    [Fact]
    public async Task Retries_a_transient_500_for_GET()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.InternalServerError, """{"errors":["Oh snap, something went wrong!"]}""")
            .Respond(HttpStatusCode.OK, OneDevice);

        var devices = await t.Client.ListDevicesAsync(P);

        Assert.Single(devices);
        Assert.Equal(2, t.Handler.Requests.Count);
    }

    [Theory]
    [InlineData(HttpStatusCode.ServiceUnavailable)]
    [InlineData(HttpStatusCode.TooManyRequests)]
    [InlineData(HttpStatusCode.InternalServerError)]
    public async Task Create_device_is_never_retried_on_a_status(HttpStatusCode status)
    {
        using var t = new MetalTestClient();
        t.Handler.Fallback = _ => ScriptedHandler.Response(status);

        await Assert.ThrowsAnyAsync<PacketApiException>(() =>
            t.Client.CreateDeviceAsync(P, new DeviceCreateRequest { Plan = "p", OperatingSystem = "o", Metro = "sv" }));

        Assert.Single(t.Handler.Requests);
        Assert.Empty(t.Time.Waits);
    }

    [Fact]
    public async Task Create_device_is_never_retried_after_a_dropped_connection()
    {
        using var t = new MetalTestClient();
        t.Handler.Fallback = _ => throw new HttpRequestException("The response ended prematurely.");

        var error = await Assert.ThrowsAsync<PacketApiConnectionException>(() =>
            t.Client.CreateDeviceAsync(P, new DeviceCreateRequest { Plan = "p", OperatingSystem = "o", Metro = "sv" }));

        Assert.Single(t.Handler.Requests);
        Assert.Contains("may still have taken effect", error.Message);
    }

    [Theory]
    [InlineData(HttpStatusCode.UnprocessableEntity)]
    [InlineData(HttpStatusCode.NotFound)]
    public async Task Non_overload_statuses_are_not_retried_even_for_GET(HttpStatusCode status)
    {
        using var t = new MetalTestClient();
        t.Handler.Fallback = _ => ScriptedHandler.Response(status, """{"errors":["no"]}""");

        await Assert.ThrowsAnyAsync<PacketApiException>(() => t.Client.GetDeviceAsync("d1"));

        Assert.Single(t.Handler.Requests);
    }

    [Fact]
    public async Task Retries_a_dropped_connection_for_GET()
    {
        using var t = new MetalTestClient();
        t.Handler.Throw(new HttpRequestException("An error occurred while sending the request.", new IOException("Connection reset by peer")))
            .Throw(new IOException("Unable to read data from the transport connection"))
            .Respond(HttpStatusCode.OK, OneDevice);

        var devices = await t.Client.ListDevicesAsync(P);

        Assert.Single(devices);
        Assert.Equal(3, t.Handler.Requests.Count);
        Assert.Equal(2, t.Time.Waits.Count);
        Assert.Contains(t.Log.Verbose, line => line.StartsWith($"Packet API: GET /projects/{P}/devices?page=1&per_page=100 failed (An error occurred while sending the request.); retry 1 of 5 in"));
    }

    [Fact]
    public async Task Retries_put_delete_and_the_read_only_capacity_post()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.BadGateway).Respond(HttpStatusCode.OK, """{"id":"d1"}""")
            .Respond(HttpStatusCode.ServiceUnavailable).Respond(HttpStatusCode.NoContent)
            .Respond(HttpStatusCode.ServiceUnavailable).Respond(HttpStatusCode.OK, """{"servers":[{"metro":"sv","plan":"p","quantity":1,"available":true}]}""");

        await t.Client.UpdateDeviceAsync("d1", new DeviceUpdateRequest { Hostname = "h" });
        await t.Client.DeleteDeviceAsync("d1");
        var capacity = await t.Client.CheckCapacityAsync(PacketLocation.Metro("sv"), "p", 1);

        Assert.True(capacity.Available);
        Assert.Equal(["PUT", "PUT", "DELETE", "DELETE", "POST", "POST"], t.Handler.Requests.Select(r => r.Method));
        Assert.Equal(t.Handler.Requests[0].Body, t.Handler.Requests[1].Body);
    }

    [Fact]
    public async Task Other_posts_are_not_retried()
    {
        using var t = new MetalTestClient();
        t.Handler.Fallback = _ => ScriptedHandler.Response(HttpStatusCode.ServiceUnavailable);

        await Assert.ThrowsAsync<PacketApiServerException>(() => t.Client.PerformDeviceActionAsync("d1", DeviceActionType.Reboot));
        await Assert.ThrowsAsync<PacketApiServerException>(() => t.Client.RequestIpReservationAsync(P, new IpReservationRequest { Metro = "sv" }));
        await Assert.ThrowsAsync<PacketApiServerException>(() => t.Client.AssignIpAsync("d1", "1.2.3.4"));
        await Assert.ThrowsAsync<PacketApiServerException>(() => t.Client.CreateProjectSshKeyAsync(P, new SshKeyCreateRequest("l", "k")));

        Assert.Equal(4, t.Handler.Requests.Count);
    }

    [Fact]
    public async Task Cancellation_during_a_backoff_wait_stops_at_once()
    {
        using var t = new MetalTestClient(autoAdvance: false);
        t.Handler.Fallback = _ => ScriptedHandler.Response(HttpStatusCode.ServiceUnavailable);
        using var cancel = new CancellationTokenSource();
        var watch = Stopwatch.StartNew();

        var call = t.Client.GetDeviceAsync("d1", null, cancel.Token);
        await t.Time.WaitForTimerAsync(TimeSpan.FromSeconds(10));
        Assert.False(call.IsCompleted);
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.Single(t.Handler.Requests);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task Caller_cancellation_is_not_turned_into_an_api_error()
    {
        using var t = new MetalTestClient();
        using var cancel = new CancellationTokenSource();
        t.Handler.Fallback = _ =>
        {
            cancel.Cancel();
            throw new TaskCanceledException("canceled", null, cancel.Token);
        };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => t.Client.GetDeviceAsync("d1", null, cancel.Token));
        Assert.Single(t.Handler.Requests);
    }

    [Fact]
    public async Task Per_request_timeout_is_retried_for_GET_then_reported_as_a_timeout()
    {
        using var t = new MetalTestClient(o => o with { Timeout = TimeSpan.FromMilliseconds(50), MaxAttempts = 2 });
        t.Handler.Fallback = _ => throw new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout");

        var error = await Assert.ThrowsAsync<PacketApiConnectionException>(() => t.Client.GetDeviceAsync("d1"));

        Assert.Equal(("PacketApiTimeout", ErrorKind.OperationTimeout), (error.ErrorId, error.Kind));
        Assert.Equal(2, t.Handler.Requests.Count);
    }
}
