using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace PacketCluster.Simulator.Config;

/// <summary>Reads and validates <see cref="SimulatorConfig"/> YAML. Every problem is reported at once.</summary>
public static class SimulatorConfigLoader
{
    internal static readonly IPNetwork Loopback4 = IPNetwork.Parse("127.0.0.0/8");
    internal static readonly IPNetwork Documentation6 = IPNetwork.Parse("2001:db8::/32");

    internal static IDeserializer Deserializer { get; } = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .WithTypeConverter(new DurationYamlConverter())
        .Build();

    public static SimulatorConfig LoadFile(string path)
    {
        string text;
        try
        {
            if (new FileInfo(path).Length > MaxBytes) throw new SimulatorConfigException($"config file {path} is larger than {MaxBytes / 1024 / 1024} MiB");
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new SimulatorConfigException($"cannot read config file {path}: {e.Message}", e);
        }
        return Parse(text, path);
    }

    /// <summary>Largest config file or admin body read (a real one is a few KiB).</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    /// <summary>
    /// Walks the YAML's events once before deserializing: aliases are refused (an alias bomb of a few hundred bytes
    /// expands to gigabytes), and a syntax error YamlDotNet reports without a position (an unclosed flow collection
    /// ends in InvalidOperationException) still gets its line and column.
    /// </summary>
    public static void CheckSyntax(string yaml, string source)
    {
        var parser = new Parser(new StringReader(yaml));
        var mark = Mark.Empty;
        try
        {
            while (parser.MoveNext())
            {
                mark = parser.Current!.Start;
                if (parser.Current is YamlDotNet.Core.Events.AnchorAlias alias)
                    throw new SimulatorConfigException($"{source}: line {mark.Line}, column {mark.Column}: YAML aliases (*{alias.Value}) are not accepted; write the values out");
            }
        }
        catch (YamlException e)
        {
            throw new SimulatorConfigException($"{source}: invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.InnerException?.Message ?? e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new SimulatorConfigException($"{source}: invalid YAML at line {mark.Line}, column {mark.Column}: a [ ] or {{ }} collection is not closed", e);
        }
    }

    public static SimulatorConfig Parse(string yaml, string source = "config")
    {
        SimulatorConfig? config;
        CheckSyntax(yaml, source);
        try { config = Deserializer.Deserialize<SimulatorConfig>(yaml); }
        catch (YamlException e)
        {
            var detail = e.InnerException is SimulatorConfigException inner ? inner.Message : e.Message;
            throw new SimulatorConfigException($"{source}: invalid SimulatorConfig at line {e.Start.Line}: {detail}", e);
        }
        config ??= new SimulatorConfig();
        Validate(config, source);
        return config;
    }

    /// <summary>Refuses unknown kinds, impossible numbers and, above all, any address range outside loopback/documentation space.</summary>
    public static void Validate(SimulatorConfig config, string source = "config")
    {
        var problems = new List<string>();
        if (config.ApiVersion != SimulatorConfig.CurrentApiVersion)
            problems.Add($"apiVersion '{config.ApiVersion}' is not supported (use {SimulatorConfig.CurrentApiVersion})");
        if (config.Kind != SimulatorConfig.KindName)
            problems.Add($"kind '{config.Kind}' is not {SimulatorConfig.KindName}");

        CheckRange(problems, "addresses.publicIpv4", config.Addresses.PublicIpv4, v6: false);
        CheckRange(problems, "addresses.privateIpv4", config.Addresses.PrivateIpv4, v6: false);
        CheckRange(problems, "addresses.elasticIpv4", config.Addresses.ElasticIpv4, v6: false);
        CheckRange(problems, "addresses.publicIpv6", config.Addresses.PublicIpv6, v6: true);

        foreach (var (name, t) in new[] {
            ("queued", config.Timings.Queued), ("provisioning", config.Timings.Provisioning),
            ("deprovisioning", config.Timings.Deprovisioning), ("powerOff", config.Timings.PowerOff),
            ("powerOn", config.Timings.PowerOn), ("reinstall", config.Timings.Reinstall),
            ("failedVisible", config.Timings.FailedVisible) })
        {
            if (t is null) problems.Add($"timings.{name} is empty");
            else if (t.Duration < TimeSpan.Zero || t.Jitter < TimeSpan.Zero) problems.Add($"timings.{name} must not be negative");
        }

        if (config.RateLimit.Requests < 0) problems.Add("rateLimit.requests must be >= 0 (0 = unlimited)");
        if (config.RateLimit.Window <= TimeSpan.Zero) problems.Add("rateLimit.window must be positive");
        problems.AddRange(ValidateFaults(config.Faults));

        if (problems.Count > 0)
            throw new SimulatorConfigException($"{source}: " + string.Join("; ", problems));
    }

    public static IEnumerable<string> ValidateFaults(FaultConfig faults)
    {
        for (var i = 0; i < faults.Requests.Count; i++)
        {
            var r = faults.Requests[i];
            var at = $"faults.requests[{i}]";
            if (r.Rate is < 0 or > 1) yield return $"{at}.rate must be between 0 and 1";
            if (r.Status is { } s && (s < 400 || s > 599)) yield return $"{at}.status must be a 4xx or 5xx code";
            if (r.Status is null && !r.Drop && r.Latency <= TimeSpan.Zero) yield return $"{at} does nothing: set status, latency or drop";
            if (r.Handled && !r.Drop && r.Status is not (500 or 502 or 503 or 504))
                yield return $"{at}.handled needs drop: true or a status a proxy answers after the request was handled (500, 502, 503, 504)";
            if (!r.Path.StartsWith('/')) yield return $"{at}.path must start with /";
            if (r.After < 0 || r.Times is < 0) yield return $"{at}.after/times must not be negative";
        }
        for (var i = 0; i < faults.Provisioning.Count; i++)
        {
            var r = faults.Provisioning[i];
            if (r.Rate is < 0 or > 1) yield return $"faults.provisioning[{i}].rate must be between 0 and 1";
            string? error = null;
            if (r.Hostname is not null)
            {
                try { _ = new Regex(r.Hostname); }
                catch (ArgumentException e) { error = $"faults.provisioning[{i}].hostname is not a regular expression: {e.Message}"; }
            }
            if (error is not null) yield return error;
        }
    }

    private static void CheckRange(List<string> problems, string key, string? value, bool v6)
    {
        if (!IPNetwork.TryParse(value ?? "", out var net))
        {
            problems.Add($"{key} '{value}' is not a CIDR range");
            return;
        }
        if (!v6)
        {
            if (net.BaseAddress.AddressFamily != AddressFamily.InterNetwork || net.PrefixLength < 8 || !Loopback4.Contains(net.BaseAddress))
                problems.Add($"{key} {value} is outside 127.0.0.0/8: the simulator only hands out loopback IPv4 addresses");
            else if (net.PrefixLength > 30)
                problems.Add($"{key} {value} is too small (at most /30)");
        }
        else
        {
            if (net.BaseAddress.AddressFamily != AddressFamily.InterNetworkV6 || net.PrefixLength < 32 || !Documentation6.Contains(net.BaseAddress))
                problems.Add($"{key} {value} is outside 2001:db8::/32: the simulator only hands out documentation IPv6 addresses");
            else if (net.PrefixLength > 120)
                problems.Add($"{key} {value} is too small (at most /120)");
        }
    }
}
