using System.Reflection;
using System.Text.RegularExpressions;

namespace PacketCluster.Engine.Manifests;

/// <summary>Collects every problem with a set of manifest options, so a user sees them all at once.</summary>
internal sealed partial class ManifestOptionProblems
{
    private readonly List<string> _problems = new();
    private readonly string _optionsName;

    public ManifestOptionProblems(string optionsName) => _optionsName = optionsName;

    public void Add(string problem) => _problems.Add(problem);

    public void RequireText(string name, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            Add($"{name} is required.");
        }
        else if (value.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            // The value itself is never echoed: it may be the API key.
            Add($"{name} must not contain spaces or control characters.");
        }
    }

    public void OptionalToken(string name, string? value)
    {
        if (value is not null)
        {
            RequireText(name, value);
        }
    }

    public void OptionalDnsLabel(string name, string? value)
    {
        if (value is not null && !DnsLabel().IsMatch(value))
        {
            Add($"{name} '{value}' must be a DNS label: at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit.");
        }
    }

    public void OptionalHttpUrl(string name, string? value)
    {
        if (value is not null && (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)))
        {
            Add($"{name} '{value}' must be an absolute http or https URL.");
        }
    }

    public void OptionalImageTag(string name, string? value)
    {
        if (value is not null && !ImageTag().IsMatch(value))
        {
            Add($"{name} '{value}' must be a container image tag: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'.");
        }
    }

    /// <summary>Throws one <see cref="PacketClusterException"/> listing every problem found, if any.</summary>
    public void ThrowIfAny(object target)
    {
        if (_problems.Count == 0)
        {
            return;
        }

        throw new PacketClusterException(
            "ManifestOptionsInvalid",
            ErrorKind.InvalidArgument,
            $"{_optionsName} has {_problems.Count} problem(s):{Environment.NewLine}- " + string.Join(Environment.NewLine + "- ", _problems),
            "Fix each option listed in the message, then run the command again.",
            target);
    }

    /// <summary>The engine's own version (without build metadata), the default manager image tag.</summary>
    public static string EngineVersion()
    {
        var informational = typeof(ManifestOptionProblems).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        var version = informational ?? typeof(ManifestOptionProblems).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        var plus = version.IndexOf('+');
        return plus < 0 ? version : version[..plus];
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")]
    private static partial Regex ImageTag();
}
