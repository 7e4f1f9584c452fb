using System.Globalization;
using System.Text.RegularExpressions;

namespace PacketCluster.Simulator.Boot.Kubelet;

/// <summary>
/// What a Node reports as capacity, from its device's plan: CPUs (cores × sockets, from the catalogue's processor
/// names such as "8-Core"), memory (the plan's total) and the kubelet's default of 110 pods.
/// </summary>
public sealed partial record NodeCapacity(int Cpus, long MemoryBytes)
{
    public const int Pods = 110;

    /// <summary>What a node of an unknown plan reports (the old fixed figures: 8 CPUs, 32 GiB).</summary>
    public static NodeCapacity Default { get; } = new(8, 32L << 30);

    /// <summary>
    /// From a plan's <c>specs</c> as the catalogue holds them (<c>cpus: [{count, type}]</c>, <c>memory: {total: 32GB}</c>).
    /// A processor type without "N-Core" counts as 4 cores, the smallest of the catalogue's.
    /// </summary>
    public static NodeCapacity FromPlanSpecs(IDictionary<object, object>? specs)
    {
        if (specs is null) return Default;
        var cpus = 0;
        if (specs.TryGetValue("cpus", out var cpuList) && cpuList is IEnumerable<object> entries)
        {
            foreach (var entry in entries.OfType<IDictionary<object, object>>())
            {
                var count = entry.TryGetValue("count", out var c) && int.TryParse(c?.ToString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 1;
                var cores = entry.TryGetValue("type", out var t) && Cores().Match(t?.ToString() ?? "") is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 4;
                cpus += count * cores;
            }
        }
        long memory = 0;
        if (specs.TryGetValue("memory", out var memoryEntry) && memoryEntry is IDictionary<object, object> map && map.TryGetValue("total", out var total))
            memory = ParseSize(total?.ToString());
        return new NodeCapacity(cpus > 0 ? cpus : Default.Cpus, memory > 0 ? memory : Default.MemoryBytes);
    }

    /// <summary>"32GB", "512GB", "1TB" (binary units, as the API's plan specs mean them).</summary>
    internal static long ParseSize(string? text)
    {
        var match = Size().Match(text?.Trim() ?? "");
        if (!match.Success) return 0;
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        var shift = match.Groups[2].Value.ToUpperInvariant() switch { "KB" => 10, "MB" => 20, "GB" => 30, "TB" => 40, _ => 0 };
        return (long)(value * (1L << shift));
    }

    /// <summary>Memory as a Kubernetes quantity in Ki, the way a kubelet reports it.</summary>
    public string MemoryQuantity => $"{MemoryBytes / 1024}Ki";

    /// <summary>Allocatable memory: capacity less kubeadm's default eviction threshold (100Mi).</summary>
    public string AllocatableMemoryQuantity => $"{Math.Max(0, MemoryBytes / 1024 - 100 * 1024)}Ki";

    [GeneratedRegex(@"(\d+)-Core", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Cores();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Size();
}
