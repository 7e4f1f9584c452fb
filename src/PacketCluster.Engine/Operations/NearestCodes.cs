namespace PacketCluster.Engine.Operations;

/// <summary>The known codes closest to a mistyped one (Levenshtein distance, then alphabetical), for "did you mean" messages.</summary>
public static class NearestCodes
{
    public static IReadOnlyList<string> To(string typed, IEnumerable<string> known, int count) =>
        known.Distinct(StringComparer.OrdinalIgnoreCase)
            .OrderBy(k => Distance(typed.ToLowerInvariant(), k.ToLowerInvariant())).ThenBy(k => k, StringComparer.Ordinal)
            .Take(count).ToList();

    internal static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            previous = current;
        }
        return previous[b.Length];
    }
}
