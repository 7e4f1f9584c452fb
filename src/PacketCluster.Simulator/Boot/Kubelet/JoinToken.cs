using System.Text.RegularExpressions;

namespace PacketCluster.Simulator.Boot.Kubelet;

/// <summary>A bootstrap token "&lt;id&gt;.&lt;secret&gt;" as JoinConfiguration carries it; the id is public, the secret is not.</summary>
internal static partial class JoinToken
{
    /// <returns>The id and secret, or null when the text is not "[a-z0-9]{6}.[a-z0-9]{16}".</returns>
    public static (string Id, string Secret)? Split(string? token)
    {
        var match = token is null ? null : Pattern().Match(token);
        return match is { Success: true } ? (match.Groups["id"].Value, match.Groups["secret"].Value) : null;
    }

    [GeneratedRegex("^(?<id>[a-z0-9]{6})\\.(?<secret>[a-z0-9]{16})\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
