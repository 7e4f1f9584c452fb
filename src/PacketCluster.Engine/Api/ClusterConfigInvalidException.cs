namespace PacketCluster.Engine.Api;

/// <summary>
/// A cluster definition failed validation. Carries every problem found (all are reported at once, each only once);
/// the error id is the first problem's, so a script can match on e.g. InvalidCidr.
/// </summary>
public sealed class ClusterConfigInvalidException : PacketClusterException
{
    public ClusterConfigInvalidException(IReadOnlyList<ValidationProblem> problems)
        : this(problems.DistinctBy(p => p.ToString()).ToList())
    {
    }

    private ClusterConfigInvalidException(List<ValidationProblem> problems)
        : base(problems[0].ErrorId, ErrorKind.InvalidData, Format(problems), Advice(problems), problems[0].Parameter ?? problems[0].Source)
    {
        Problems = problems;
    }

    public IReadOnlyList<ValidationProblem> Problems { get; }

    private static string Format(IReadOnlyList<ValidationProblem> problems) =>
        problems.Count == 1
            ? problems[0].ToString()
            : $"The cluster definition has {problems.Count} problems:\n" + string.Join("\n", problems.Select(p => "  - " + p));

    /// <summary>What to change (the parameters or the files) and which cmdlets list the valid values.</summary>
    private static string Advice(IReadOnlyList<ValidationProblem> problems)
    {
        var parameters = problems.Select(p => p.Parameter).OfType<string>().Select(p => p.Split(' ')[0]).Distinct().ToList();
        var what = parameters.Count > 0 && problems.All(p => p.Parameter is not null)
            ? $"Change {string.Join(", ", parameters)} and run the command again."
            : "Fix each problem listed (file, object and field are named) and run the command again.";
        var ids = problems.Select(p => p.ErrorId).ToHashSet();
        var listers = new List<string>();
        if (ids.Overlaps(["UnknownPlan", "PlanNotAvailable", "NoCapacity"])) listers.Add("Get-PacketPlan");
        if (ids.Contains("UnknownLocation")) listers.Add("Get-PacketMetro / Get-PacketFacility");
        if (ids.Overlaps(["UnknownOperatingSystem", "OperatingSystemNotSupported"])) listers.Add("Get-PacketOperatingSystem");
        if (ids.Overlaps(["MachineConfigNotFound", "AmbiguousMachineConfig"])) listers.Add("Get-PacketMachineConfig");
        return listers.Count == 0 ? what : $"{what} {string.Join(", ", listers)} list{(listers.Count == 1 ? "s" : "")} the valid values.";
    }
}
