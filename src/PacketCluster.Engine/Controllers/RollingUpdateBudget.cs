using System.Globalization;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// How far a rolling update may go above (maxSurge) and below (maxUnavailable) the desired replica count.
/// Both are IntOrString: an absolute number, or a percentage of the desired replicas (surge rounds up, unavailable
/// rounds down, as in Kubernetes). The defaults we ship are surge 1, unavailable 0: machines roll one at a time and
/// capacity never drops. If both resolve to 0 nothing could ever move, so unavailable becomes 1 (Kubernetes' rule).
/// </summary>
public readonly record struct RollingUpdateBudget(int MaxSurge, int MaxUnavailable)
{
    public const string DefaultMaxSurge = "1";
    public const string DefaultMaxUnavailable = "0";

    public static RollingUpdateBudget For(MachineRollingUpdateDeployment? rollingUpdate, int replicas)
    {
        var surge = Resolve(rollingUpdate?.MaxSurge ?? DefaultMaxSurge, replicas, roundUp: true, "maxSurge");
        var unavailable = Resolve(rollingUpdate?.MaxUnavailable ?? DefaultMaxUnavailable, replicas, roundUp: false, "maxUnavailable");
        if (surge == 0 && unavailable == 0) unavailable = 1;
        return new RollingUpdateBudget(surge, unavailable);
    }

    /// <summary>Resolves "2" or "25%" against <paramref name="replicas"/>; anything else is an InvalidData error naming the field.</summary>
    public static int Resolve(string value, int replicas, bool roundUp, string field)
    {
        var text = value.Trim();
        if (text.EndsWith('%')
            && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent))
        {
            var scaled = replicas * (double)percent / 100.0;
            return (int)(roundUp ? Math.Ceiling(scaled) : Math.Floor(scaled));
        }
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var absolute)) return absolute;
        throw new PacketClusterException("InvalidRollingUpdate", ErrorKind.InvalidData,
            $"strategy.rollingUpdate.{field} '{value}' is neither a non-negative number nor a percentage such as 25%.",
            "Set the value to a whole number (e.g. 1) or a percentage (e.g. 25%).", field);
    }
}
