using System.Net;
using PacketCluster.Engine.Metal;
using Xunit;

namespace PacketCluster.Engine.Tests.Metal;

/// <summary>Every status becomes one typed exception that keeps status, the API's text and the request id.</summary>
public class PacketClientErrorTests
{
    [Theory]
    [InlineData(401, typeof(PacketApiUnauthorizedException), "PacketApiUnauthorized", ErrorKind.AuthenticationError, "Invalid authentication token")]
    [InlineData(403, typeof(PacketApiForbiddenException), "PacketApiForbidden", ErrorKind.PermissionDenied, "You are not authorized to view this device")]
    [InlineData(404, typeof(PacketApiNotFoundException), "PacketApiNotFound", ErrorKind.ObjectNotFound, "Not found")]
    [InlineData(422, typeof(PacketApiValidationException), "PacketApiValidation", ErrorKind.InvalidArgument, "ams1 is not a valid facility")]
    [InlineData(429, typeof(PacketApiRateLimitedException), "PacketApiRateLimited", ErrorKind.ConnectionError, "Too many requests")]
    [InlineData(500, typeof(PacketApiServerException), "PacketApiServerError", ErrorKind.ConnectionError, "Oh snap, something went wrong! We've logged the error and will take a look - please reach out to us if you continue having trouble.")]
    [InlineData(502, typeof(PacketApiServerException), "PacketApiServerError", ErrorKind.ConnectionError, "Bad gateway")]
    [InlineData(503, typeof(PacketApiServerException), "PacketApiServerError", ErrorKind.ConnectionError, "Service unavailable")]
    [InlineData(504, typeof(PacketApiServerException), "PacketApiServerError", ErrorKind.ConnectionError, "Gateway timeout")]
    [InlineData(400, typeof(PacketApiException), "PacketApiError", ErrorKind.InvalidOperation, "Bad request")]
    public async Task Status_maps_to_a_typed_exception(int status, Type type, string errorId, ErrorKind kind, string apiText)
    {
        using var t = new MetalTestClient(o => o with { MaxAttempts = 1 });
        t.Handler.Respond((HttpStatusCode)status, $$"""{"errors":["{{apiText}}"]}""", r => r.Headers.Add("X-Request-Id", "req-" + status));

        var error = await Assert.ThrowsAnyAsync<PacketApiException>(() => t.Client.GetDeviceAsync("d1"));

        Assert.IsType(type, error);
        Assert.Equal(errorId, error.ErrorId);
        Assert.Equal(kind, error.Kind);
        Assert.Equal((HttpStatusCode)status, error.StatusCode);
        Assert.Equal([apiText], error.ApiErrors);
        Assert.Equal("req-" + status, error.RequestId);
        Assert.Equal("GET", error.Method);
        Assert.Equal("https://api.example.test/metal/v1/devices/d1", error.Url);
        Assert.Equal(error.Url, error.Target);
        Assert.Contains(apiText, error.Message);
        if (status != 422)
        {
            Assert.Contains(status.ToString(), error.Message);
            Assert.Contains("req-" + status, error.Message);
        }
    }

    [Fact]
    public async Task Validation_message_is_exactly_the_api_text()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.UnprocessableEntity, """{"errors":["ams1 is not a valid facility"]}""");

        var error = await Assert.ThrowsAsync<PacketApiValidationException>(() =>
            t.Client.CreateDeviceAsync(MetalTestClient.ProjectId, new DeviceCreateRequest { Plan = "baremetal_0", OperatingSystem = "ubuntu_20_04", Facility = "ams1" }));

        Assert.Equal("ams1 is not a valid facility", error.Message);
        Assert.Equal("POST", error.Method);
    }

    [Fact]
    public async Task Single_error_field_is_read_like_errors()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.NotFound, """{"error":"Not found"}""");

        var error = await Assert.ThrowsAsync<PacketApiNotFoundException>(() => t.Client.GetProjectAsync("p"));

        Assert.Equal(["Not found"], error.ApiErrors);
        Assert.Null(error.RequestId);
    }

    [Fact]
    public async Task Both_errors_and_error_are_kept_and_a_non_json_body_is_kept_as_text()
    {
        using var t = new MetalTestClient(o => o with { MaxAttempts = 1 });
        t.Handler.Respond(HttpStatusCode.UnprocessableEntity, """{"errors":["a","b"],"error":"c"}""")
            .Respond(HttpStatusCode.BadGateway, null, r => r.Content = new StringContent("upstream connect error"))
            .Respond(HttpStatusCode.BadGateway, null, r => r.Content = new StringContent("<html><body>502</body></html>"));

        var both = await Assert.ThrowsAsync<PacketApiValidationException>(() => t.Client.GetProjectAsync("p"));
        var text = await Assert.ThrowsAsync<PacketApiServerException>(() => t.Client.GetProjectAsync("p"));
        var html = await Assert.ThrowsAsync<PacketApiServerException>(() => t.Client.GetProjectAsync("p"));

        Assert.Equal(["a", "b", "c"], both.ApiErrors);
        Assert.Equal("a, b, c", both.Message);
        Assert.Equal(["upstream connect error"], text.ApiErrors);
        Assert.Empty(html.ApiErrors);
    }

    [Fact]
    public async Task Unauthorized_tells_the_user_what_to_do()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.Unauthorized, """{"errors":["Invalid authentication token"]}""");

        var error = await Assert.ThrowsAsync<PacketApiUnauthorizedException>(() => t.Client.ListProjectsAsync());

        Assert.Contains("Check the key", error.Message);
        Assert.Contains("Connect-PacketApi", error.Message);
        Assert.Single(t.Handler.Requests);
    }

    [Fact]
    public async Task Rate_limited_carries_the_reset_time()
    {
        using var t = new MetalTestClient(o => o with { MaxAttempts = 1 });
        var reset = t.Time.GetUtcNow().AddSeconds(42);
        t.Handler.Respond(HttpStatusCode.TooManyRequests, """{"errors":["slow down"]}""",
            r => r.Headers.Add("X-RateLimit-Reset", reset.ToUnixTimeSeconds().ToString()));

        var error = await Assert.ThrowsAsync<PacketApiRateLimitedException>(() => t.Client.GetDeviceAsync("d1"));

        Assert.Equal(reset, error.RateLimitReset);
    }

    [Fact]
    public async Task Unreadable_success_body_is_invalid_data_not_a_crash()
    {
        using var t = new MetalTestClient();
        t.Handler.Respond(HttpStatusCode.OK, "{\"devices\": 12}").Respond(HttpStatusCode.OK, "not json");

        var wrongShape = await Assert.ThrowsAsync<PacketApiException>(() => t.Client.ListDevicesAsync(MetalTestClient.ProjectId));
        var notJson = await Assert.ThrowsAsync<PacketApiException>(() => t.Client.GetDeviceAsync("d1"));

        Assert.Equal(("PacketApiInvalidResponse", ErrorKind.InvalidData), (wrongShape.ErrorId, wrongShape.Kind));
        Assert.Equal(("PacketApiInvalidResponse", ErrorKind.InvalidData), (notJson.ErrorId, notJson.Kind));
    }

    [Fact]
    public async Task Transport_failure_is_a_connection_exception_with_the_inner_exception()
    {
        using var t = new MetalTestClient(o => o with { MaxAttempts = 1 });
        var dropped = new HttpRequestException("An error occurred while sending the request.", new IOException("Connection reset by peer"));
        t.Handler.Throw(dropped);

        var error = await Assert.ThrowsAsync<PacketApiConnectionException>(() => t.Client.GetDeviceAsync("d1"));

        Assert.Equal(("PacketApiConnectionFailed", ErrorKind.ConnectionError), (error.ErrorId, error.Kind));
        Assert.Null(error.StatusCode);
        Assert.Same(dropped, error.InnerException);
    }
}
