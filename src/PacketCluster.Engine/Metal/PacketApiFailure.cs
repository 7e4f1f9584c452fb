using System.Net;

namespace PacketCluster.Engine.Metal;

/// <summary>What is known about a failed call; everything in it is already redacted.</summary>
public sealed record PacketApiFailure(string Method, string Url, HttpStatusCode? StatusCode, IReadOnlyList<string> ApiErrors, string? RequestId);
