using System.Collections.Concurrent;

namespace PacketCluster.Simulator.Tests.Contract;

/// <summary>
/// Sits under the engine's PacketClient in contract tests: every request body the client sends is validated against
/// the spec's request schema before it leaves, and every response (via <see cref="ContractCheckingHandler"/>) against
/// the response schema. Records the operations it saw so a test can prove it covered the whole client.
/// </summary>
public sealed class RequestContractHandler : DelegatingHandler
{
    public RequestContractHandler() : base(new ContractCheckingHandler()) { }

    public ConcurrentBag<string> Operations { get; } = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.AbsolutePath;
        if (path.StartsWith("/metal/v1/", StringComparison.Ordinal)) path = path["/metal/v1".Length..];
        var template = OpenApiContract.Shared.MatchTemplate(path)
            ?? throw new Xunit.Sdk.XunitException($"the client called {request.Method} {path}, which is not in the spec");
        if (request.Content is not null)
        {
            var body = await request.Content.ReadAsStringAsync(cancellationToken);
            if (body.Length > 0)
            {
                var problems = OpenApiContract.Shared.ValidateRequest(template, request.Method.Method, body);
                if (problems.Count > 0)
                    throw new Xunit.Sdk.XunitException("request does not match the Metal OpenAPI schema:\n" + string.Join("\n", problems.Take(20)) + "\nbody: " + body);
            }
        }
        Operations.Add($"{request.Method} {template}");
        return await base.SendAsync(request, cancellationToken);
    }
}
