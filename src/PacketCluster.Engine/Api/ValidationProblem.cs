namespace PacketCluster.Engine.Api;

/// <summary>One thing wrong with a cluster definition: which file, which object, which field, and what to do.</summary>
public sealed record ValidationProblem(string ErrorId, string Source, string Object, string Field, string Message)
{
    public override string ToString() => string.Join(": ", new[] { Source, Object, Field, Message }.Where(s => !string.IsNullOrEmpty(s)));
}
