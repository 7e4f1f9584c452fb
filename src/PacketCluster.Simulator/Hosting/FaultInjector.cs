using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using PacketCluster.Simulator.Config;

namespace PacketCluster.Simulator.Hosting;

/// <summary>
/// Applies <see cref="RequestFaultRule"/>s: latency, a status answer, or a dropped connection. Each rule has its own
/// dice seeded from (seed, rule index), so a seed gives the same fault sequence for the same request sequence.
/// </summary>
public sealed class FaultInjector
{
    private readonly object _gate = new();
    private readonly int _seed;
    private List<RuleState> _rules = new();

    public FaultInjector(int seed, IEnumerable<RequestFaultRule> rules)
    {
        _seed = seed;
        Replace(rules);
    }

    public void Replace(IEnumerable<RequestFaultRule> rules)
    {
        lock (_gate)
            _rules = rules.Select((r, i) => new RuleState(r, PathPattern(r.Path), new Random(unchecked(_seed * 7919 + i)) /* not HashCode.Combine: it is salted per process, which broke "same seed, same faults" */)).ToList();
    }

    public IReadOnlyList<RequestFaultRule> Rules { get { lock (_gate) return _rules.Select(r => r.Rule).ToList(); } }

    /// <summary>How often each rule (by name, else its index) hit a request since it was set: tests check their faults really fired.</summary>
    public IReadOnlyDictionary<string, int> Applied()
    {
        lock (_gate) return _rules.Select((r, i) => (Key: r.Rule.Name ?? i.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Applied))
            .GroupBy(r => r.Key).ToDictionary(g => g.Key, g => g.Sum(r => r.Applied));
    }

    /// <summary>The faults that hit this request (at most one status/drop; latencies add up).</summary>
    public (TimeSpan Latency, RequestFaultRule? Hit) Decide(string method, string path)
    {
        var latency = TimeSpan.Zero;
        RequestFaultRule? hit = null;
        lock (_gate)
        {
            foreach (var state in _rules)
            {
                var rule = state.Rule;
                if (rule.Methods.Count > 0 && !rule.Methods.Contains(method, StringComparer.OrdinalIgnoreCase)) continue;
                if (!state.Pattern.IsMatch(path)) continue;
                state.Matched++;
                if (state.Matched <= rule.After) continue;
                if (rule.Times is { } times && state.Applied >= times) continue;
                if (rule.Rate < 1 && state.Dice.NextDouble() >= rule.Rate) continue;
                state.Applied++;
                latency += rule.Latency;
                if (hit is null && (rule.Status is not null || rule.Drop)) hit = rule;
            }
        }
        return (latency, hit);
    }

    /// <summary><c>*</c> = one path segment, <c>**</c> = anything; matched against the path without /metal/v1.</summary>
    private static Regex PathPattern(string glob)
    {
        var pattern = "^" + string.Join("/", glob.TrimEnd('/').Split('/').Select(segment => segment switch
        {
            "**" => ".*",
            _ => Regex.Escape(segment).Replace(@"\*", "[^/]*"),
        })) + "/?$";
        return new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }

    private sealed class RuleState(RequestFaultRule rule, Regex pattern, Random dice)
    {
        public RequestFaultRule Rule { get; } = rule;
        public Regex Pattern { get; } = pattern;
        public Random Dice { get; } = dice;
        public int Matched { get; set; }
        public int Applied { get; set; }
    }

    public static string DefaultMessage(int status) => status switch
    {
        429 => "Too many requests, please slow down",
        500 => "Oh snap, something went wrong! We've logged the error and will take a look - please reach out to us if you continue having trouble.",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => $"Injected fault {status}",
    };
}
