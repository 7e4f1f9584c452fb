namespace PacketCluster.Engine.Api;

/// <summary>
/// One thing wrong with a cluster definition: which file, which object, which field, and what to do. A definition made
/// from cmdlet parameters (the quick form) names the <see cref="Parameter"/> the user typed instead, e.g. "-Plan c9.huge".
/// </summary>
public sealed record ValidationProblem(string ErrorId, string Source, string Object, string Field, string Message)
{
    /// <summary>The cmdlet parameter (with its value) the problem comes from, for a definition made from parameters; null for files.</summary>
    public string? Parameter { get; init; }

    public override string ToString() => Parameter is { } parameter
        ? $"{parameter}: {Message}"
        : string.Join(": ", new[] { Source, Object, Field, Message }.Where(s => !string.IsNullOrEmpty(s)));
}
