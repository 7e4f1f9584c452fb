namespace PacketCluster.Engine.Store;

/// <summary>The stores' label selection: an object matches when its labels include every pair asked for; no pairs, every object.</summary>
internal static class StoreLabels
{
    public static bool Match(IReadOnlyDictionary<string, string>? labels, IReadOnlyDictionary<string, string>? matchLabels) =>
        matchLabels is null || matchLabels.All(pair => labels is not null && labels.TryGetValue(pair.Key, out var value) && value == pair.Value);
}
