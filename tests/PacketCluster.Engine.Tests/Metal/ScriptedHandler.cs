using System.Net;
using System.Text;

namespace PacketCluster.Engine.Tests.Metal;

/// <summary>A request as the fake server saw it (body read before the client disposes the request).</summary>
internal sealed record RecordedRequest(string Method, Uri Uri, IReadOnlyDictionary<string, string> Headers, string? Body)
{
    public string PathAndQuery => Uri.PathAndQuery;

    public string? Query(string name) => QueryAll(name).FirstOrDefault();

    public IReadOnlyList<string> QueryAll(string name) =>
        Uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p[0] == name)
            .Select(p => Uri.UnescapeDataString(p.Length > 1 ? p[1] : ""))
            .ToArray();
}

/// <summary>Fake Packet API: answers from a script, in order, then from <see cref="Fallback"/>; records every request.</summary>
internal sealed class ScriptedHandler : HttpMessageHandler
{
    private readonly Queue<Func<RecordedRequest, HttpResponseMessage>> _script = new();
    private readonly List<RecordedRequest> _requests = [];

    public Func<RecordedRequest, HttpResponseMessage>? Fallback { get; set; }

    public IReadOnlyList<RecordedRequest> Requests
    {
        get { lock (_requests) return _requests.ToArray(); }
    }

    public ScriptedHandler Respond(HttpStatusCode status, string? json = null, Action<HttpResponseMessage>? configure = null)
    {
        _script.Enqueue(_ => Response(status, json, configure));
        return this;
    }

    public ScriptedHandler Respond(Func<RecordedRequest, HttpResponseMessage> responder)
    {
        _script.Enqueue(responder);
        return this;
    }

    public ScriptedHandler Throw(Exception exception)
    {
        _script.Enqueue(_ => throw exception);
        return this;
    }

    public static HttpResponseMessage Response(HttpStatusCode status, string? json = null, Action<HttpResponseMessage>? configure = null)
    {
        var response = new HttpResponseMessage(status);
        if (json is not null) response.Content = new StringContent(json, Encoding.UTF8, "application/json");
        configure?.Invoke(response);
        return response;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        var headers = request.Headers.NonValidated.ToDictionary(h => h.Key, h => string.Join(",", h.Value), StringComparer.OrdinalIgnoreCase);
        if (request.Content is not null)
            foreach (var header in request.Content.Headers.NonValidated)
                headers[header.Key] = string.Join(",", header.Value);
        var recorded = new RecordedRequest(request.Method.Method, request.RequestUri!, headers, body);

        Func<RecordedRequest, HttpResponseMessage> next;
        lock (_requests)
        {
            _requests.Add(recorded);
            next = _script.Count > 0 ? _script.Dequeue()
                : Fallback ?? throw new InvalidOperationException($"No scripted response for {recorded.Method} {recorded.PathAndQuery}");
        }
        var response = next(recorded);
        response.RequestMessage = request;
        return response;
    }
}
