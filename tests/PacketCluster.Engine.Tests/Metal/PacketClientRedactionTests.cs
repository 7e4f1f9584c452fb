using System.Net;
using PacketCluster.Engine.Metal;
using Xunit;

namespace PacketCluster.Engine.Tests.Metal;

/// <summary>The API key is sent in X-Auth-Token and appears nowhere else: not in messages, logs, URLs or inner exceptions.</summary>
public class PacketClientRedactionTests
{
    private const string Key = MetalTestClient.ApiKey;

    private static IEnumerable<string> AllText(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            yield return e.Message;
            yield return e.ToString();
            if (e is PacketApiException api)
            {
                yield return api.Url;
                yield return api.Target?.ToString() ?? "";
                foreach (var text in api.ApiErrors) yield return text;
            }
        }
    }

    public static TheoryData<string> Failures => new() { "401-echo", "422-echo", "500-echo", "503-echo-retried", "transport-echo", "inner-echo", "timeout" };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task Key_never_appears_in_exceptions_or_logs(string failure)
    {
        using var t = new MetalTestClient(o => o with { MaxAttempts = 3, Timeout = failure == "timeout" ? TimeSpan.FromMilliseconds(20) : o.Timeout });
        // Every scripted failure quotes the X-Auth-Token it received, as a careless proxy or server might.
        t.Handler.Fallback = request =>
        {
            var sent = request.Headers["X-Auth-Token"];
            Assert.Equal(Key, sent);
            return failure switch
            {
                "401-echo" => ScriptedHandler.Response(HttpStatusCode.Unauthorized, $$"""{"errors":["Invalid authentication token {{sent}}"]}"""),
                "422-echo" => ScriptedHandler.Response(HttpStatusCode.UnprocessableEntity, $$"""{"error":"token {{sent}} may not create devices"}"""),
                "500-echo" => ScriptedHandler.Response(HttpStatusCode.InternalServerError, null, r => r.Content = new StringContent("X-Auth-Token: " + sent)),
                "503-echo-retried" => ScriptedHandler.Response(HttpStatusCode.ServiceUnavailable, $$"""{"errors":["busy; key={{Uri.EscapeDataString(sent)}}"]}"""),
                "transport-echo" => throw new HttpRequestException($"proxy refused request with header X-Auth-Token: {sent}"),
                "inner-echo" => throw new HttpRequestException("send failed", new IOException($"socket closed while writing '{sent}'")),
                "timeout" => throw new TaskCanceledException($"timed out sending {sent}"),
                _ => throw new InvalidOperationException(failure),
            };
        };

        var error = await Assert.ThrowsAnyAsync<PacketApiException>(() => t.Client.GetDeviceAsync("d1"));

        Assert.All(AllText(error), text => Assert.DoesNotContain(Key, text));
        Assert.All(AllText(error), text => Assert.DoesNotContain(Uri.EscapeDataString(Key), text));
        Assert.All(t.Log.Messages, m => Assert.DoesNotContain(Key, m.Text));
        Assert.NotEmpty(t.Log.Messages);
    }

    [Fact]
    public async Task Redacted_inner_exception_keeps_the_original_type_name()
    {
        using var t = new MetalTestClient(o => o with { MaxAttempts = 1 });
        t.Handler.Throw(new HttpRequestException("send failed", new IOException($"socket closed while writing {Key}")));

        var error = await Assert.ThrowsAsync<PacketApiConnectionException>(() => t.Client.GetDeviceAsync("d1"));

        Assert.Contains("System.Net.Http.HttpRequestException", error.InnerException!.Message);
        Assert.Contains("System.IO.IOException", error.InnerException.InnerException!.Message);
        Assert.Contains(SecretRedactor.Mask, error.InnerException.InnerException.Message);
    }

    [Fact]
    public void Options_ToString_never_prints_the_key()
    {
        var options = new PacketApiOptions { ApiKey = Key, ProjectId = "p" };

        Assert.DoesNotContain(Key, options.ToString());
        Assert.Contains("(redacted)", options.ToString());
        Assert.Contains("ProjectId = p", options.ToString());
    }

    [Fact]
    public void Urls_lose_user_info_and_secret_query_values()
    {
        var redactor = new SecretRedactor(Key);

        var url = redactor.RedactUrl(new Uri($"https://user:pw@api.example.test/metal/v1/devices?auth_token=abc&page=2&x={Key}&api_key=zzz"));

        Assert.Equal("https://api.example.test/metal/v1/devices?auth_token=REDACTED&page=2&x=[redacted]&api_key=REDACTED", url);
    }

    [Fact]
    public void Invalid_options_name_the_problem_without_the_key()
    {
        var error = Assert.Throws<PacketClusterException>(() => new PacketClient(new PacketApiOptions { ApiKey = Key + "\n" }, NullEngineLog.Instance));

        Assert.Equal(("PacketApiOptionsInvalid", ErrorKind.InvalidArgument), (error.ErrorId, error.Kind));
        Assert.DoesNotContain(Key, error.Message);
        Assert.Contains("API key", error.Message);
    }
}
