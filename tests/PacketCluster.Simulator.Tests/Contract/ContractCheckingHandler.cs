using System.Collections.Concurrent;

namespace PacketCluster.Simulator.Tests.Contract;

/// <summary>
/// Sits under every test HttpClient: each API response body is validated against the spec's schema for its
/// path, method and status, so every test is also a contract test. Admin (/_simulator) responses are skipped.
/// </summary>
public sealed class ContractCheckingHandler : DelegatingHandler
{
    public static ConcurrentBag<string> Checked { get; } = new();

    public ContractCheckingHandler() : base(new SocketsHttpHandler()) { }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken);
        var path = request.RequestUri!.AbsolutePath;
        if (path.StartsWith("/_simulator", StringComparison.Ordinal)) return response;
        if (path.StartsWith("/metal/v1/", StringComparison.Ordinal)) path = path["/metal/v1".Length..];
        var contract = OpenApiContract.Shared;
        var template = contract.MatchTemplate(path);
        var status = (int)response.StatusCode;
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (template is null)
        {
            if (status != 404) throw new Xunit.Sdk.XunitException($"{request.Method} {path}: not a path in the spec");
            return response;
        }
        if (status is 202 or 204)
        {
            if (body.Length > 0) throw new Xunit.Sdk.XunitException($"{request.Method} {template} {status} has a body: {body}");
            return response;
        }
        if (!response.Content.Headers.ContentType?.MediaType?.Equals("application/json", StringComparison.Ordinal) ?? true)
            throw new Xunit.Sdk.XunitException($"{request.Method} {template} {status}: content type {response.Content.Headers.ContentType}");
        // PATCH /devices/{id} and /ssh-keys/{id} (packngo) are PUT's twins: same body, same response.
        var method = request.Method == HttpMethod.Patch && !contract.HasOperation(template, "patch") ? "PUT" : request.Method.Method;
        var problems = contract.Validate(template, method, status, body);
        if (problems.Count > 0)
            throw new Xunit.Sdk.XunitException("response does not match the Metal OpenAPI schema:\n" + string.Join("\n", problems.Take(20)) + "\nbody: " + body[..Math.Min(body.Length, 2000)]);
        Checked.Add($"{request.Method} {template} {status}");
        return response;
    }
}
