using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>Label-selector arithmetic shared by the MachineSet and MachineDeployment reconcilers (matchLabels only).</summary>
public static class ReplicaLabels
{
    /// <summary>True when <paramref name="labels"/> include every pair of <paramref name="matchLabels"/>.</summary>
    public static bool Matches(IReadOnlyDictionary<string, string>? matchLabels, IReadOnlyDictionary<string, string>? labels)
    {
        if (matchLabels is null || matchLabels.Count == 0) return false; // An empty selector selects nothing here: adopting every object would be a disaster.
        if (labels is null) return false;
        return matchLabels.All(p => labels.TryGetValue(p.Key, out var v) && v == p.Value);
    }

    /// <summary>The selector as <c>k1=v1,k2=v2</c> (sorted), the form status.selector has for the scale subresource.</summary>
    public static string ToSelectorString(IReadOnlyDictionary<string, string>? matchLabels) =>
        matchLabels is null ? string.Empty
        : string.Join(",", matchLabels.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    /// <summary>A copy of <paramref name="labels"/> with <paramref name="extra"/> added (extra wins).</summary>
    public static Dictionary<string, string> With(IReadOnlyDictionary<string, string>? labels, params (string Key, string? Value)[] extra)
    {
        var result = labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(labels);
        foreach (var (key, value) in extra)
            if (!string.IsNullOrEmpty(value)) result[key] = value;
        return result;
    }
}
