using System.Net;
using System.Text.RegularExpressions;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace PacketCluster.Simulator.Boot.Kubelet;

/// <summary>
/// A join or registration that cannot go on. The message is what the console shows (after the prefix), so it must
/// never carry a credential.
/// </summary>
internal sealed class KubeletJoinException(string prefix, string message) : Exception(message)
{
    /// <summary>"kubeadm join" or "kubelet": which program would have printed the line.</summary>
    public string Prefix { get; } = prefix;
}

internal static partial class Failures
{
    /// <summary>"401 Unauthorized", "404 Not Found" (HTTP/2 carries no reason phrase, so it comes from the code).</summary>
    public static string StatusText(HttpStatusCode code) => $"{(int)code} {CamelGap().Replace(code.ToString(), " ")}";

    /// <summary>A one-line description for the console: the status and the API server's own message, or the transport error.</summary>
    public static string Describe(Exception error) => error switch
    {
        HttpOperationException http => StatusMessage(http.Response.StatusCode, http.Response.Content),
        OperationCanceledException => "request timed out",
        HttpRequestException { InnerException: { } inner } request when !request.Message.Contains(inner.Message, StringComparison.Ordinal) =>
            $"{request.Message} ({inner.Message})",
        _ => error.Message,
    };

    public static string StatusMessage(HttpStatusCode code, string? body)
    {
        string? message = null;
        try
        {
            if (!string.IsNullOrWhiteSpace(body))
                message = KubernetesJson.Deserialize<V1Status>(body)?.Message;
        }
        catch (System.Text.Json.JsonException)
        {
            // Not a Status body (a proxy's page, say): the code alone has to do.
        }
        return string.IsNullOrWhiteSpace(message) ? StatusText(code) : $"{StatusText(code)}: {message}";
    }

    public static HttpStatusCode? StatusOf(Exception error) => (error as HttpOperationException)?.Response.StatusCode;

    /// <summary>Worth retrying within a bound: the server is unreachable, slow, overloaded or failing.</summary>
    public static bool IsTransient(Exception error, CancellationToken stopping) => error switch
    {
        OperationCanceledException => !stopping.IsCancellationRequested,
        HttpRequestException => true,
        HttpOperationException http => http.Response.StatusCode is HttpStatusCode.TooManyRequests || (int)http.Response.StatusCode >= 500,
        _ => false,
    };

    [GeneratedRegex("(?<=[a-z])(?=[A-Z])")]
    private static partial Regex CamelGap();
}
