using System.Text.RegularExpressions;
using YamlDotNet.Core;

namespace PacketCluster.Engine.Bootstrap;

/// <summary>Turns a YamlDotNet exception into a message without its "(Line: …) - (Line: …):" prefix; callers print the line themselves.</summary>
internal static partial class YamlErrors
{
    [GeneratedRegex(@"^\(Line: \d+, Col: \d+, Idx: \d+\) - \(Line: \d+, Col: \d+, Idx: \d+\): ", RegexOptions.CultureInvariant)]
    private static partial Regex MarkPrefix();

    public static string Describe(YamlException e)
    {
        var message = MarkPrefix().Replace(e.Message, string.Empty);
        if (e.InnerException is { } inner && !string.IsNullOrEmpty(inner.Message) && !message.Contains(inner.Message, StringComparison.Ordinal))
        {
            message += " " + inner.Message;
        }
        return message.TrimEnd('.');
    }
}
