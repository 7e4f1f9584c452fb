using System.Net;

namespace PacketCluster.Engine.Metal;

/// <summary>
/// A Packet API call failed. The client maps every failure exactly once, at the HTTP edge, into this type or one of its
/// subtypes, so callers catch by type and never look at status codes. The message, <see cref="Url"/> and
/// <see cref="ApiErrors"/> are redacted: the API key never appears in them (nor in the inner exception's message).
/// </summary>
public class PacketApiException : PacketClusterException
{
    public PacketApiException(string errorId, ErrorKind kind, string message, string recommendedAction, PacketApiFailure failure, Exception? inner = null)
        : base(errorId, kind, message, recommendedAction, failure.Url, inner)
    {
        StatusCode = failure.StatusCode;
        ApiErrors = failure.ApiErrors;
        RequestId = failure.RequestId;
        Method = failure.Method;
        Url = failure.Url;
    }

    /// <summary>HTTP status, or null when no response arrived (transport failure, timeout).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The API's own text, from <c>errors[]</c> or <c>error</c> (either may be set).</summary>
    public IReadOnlyList<string> ApiErrors { get; }

    /// <summary>X-Request-Id of the failed response, for Equinix support.</summary>
    public string? RequestId { get; }

    public string Method { get; }

    /// <summary>Request URL with secret-looking query values replaced.</summary>
    public string Url { get; }
}
