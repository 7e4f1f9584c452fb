namespace PacketCluster.Engine.Api;

/// <summary>
/// A cluster definition failed validation. Carries every problem found (all are reported at once);
/// the error id is the first problem's, so a script can match on e.g. InvalidCidr.
/// </summary>
public sealed class ClusterConfigInvalidException : PacketClusterException
{
    public ClusterConfigInvalidException(IReadOnlyList<ValidationProblem> problems)
        : base(problems[0].ErrorId, ErrorKind.InvalidData, Format(problems), problems[0].Source)
    {
        Problems = problems;
    }

    public IReadOnlyList<ValidationProblem> Problems { get; }

    private static string Format(IReadOnlyList<ValidationProblem> problems) =>
        problems.Count == 1
            ? problems[0].ToString()
            : $"The cluster definition has {problems.Count} problems:\n" + string.Join("\n", problems.Select(p => "  - " + p));
}
