using System.Text;
using System.Text.RegularExpressions;

namespace PacketCluster.Engine.Metal;

/// <summary>
/// Keeps the API key out of everything the client lets go of: messages, log lines, URLs and inner exceptions.
/// The key is only ever placed in the X-Auth-Token header; this is the second line of defence for text that
/// might echo it (a proxy error, a handler's exception, a server that quotes the request).
/// </summary>
internal sealed partial class SecretRedactor
{
    public const string Mask = "[redacted]";

    private readonly string[] _secrets;

    public SecretRedactor(params string?[] secrets) =>
        _secrets = secrets.Where(s => !string.IsNullOrEmpty(s)).Select(s => s!).Distinct().ToArray();

    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        foreach (var secret in _secrets)
        {
            text = text.Replace(secret, Mask, StringComparison.Ordinal);
            var escaped = Uri.EscapeDataString(secret);
            if (escaped != secret) text = text.Replace(escaped, Mask, StringComparison.OrdinalIgnoreCase);
        }
        return text;
    }

    public bool Contains(string? text) =>
        !string.IsNullOrEmpty(text) && _secrets.Any(s => text.Contains(s, StringComparison.Ordinal)
            || text.Contains(Uri.EscapeDataString(s), StringComparison.OrdinalIgnoreCase));

    /// <summary>The URL without user info, with the values of secret-looking query parameters masked.</summary>
    public string RedactUrl(Uri uri)
    {
        var builder = new UriBuilder(uri) { UserName = "", Password = "" };
        if (builder.Query.Length > 1)
            builder.Query = SecretQueryValue().Replace(builder.Query.TrimStart('?'), m => m.Groups["name"].Value + "=REDACTED");
        return Redact(builder.Uri.AbsoluteUri);
    }

    /// <summary>
    /// The exception itself when nothing in its chain mentions a secret; otherwise a stand-in that keeps the type
    /// names and redacted messages (the original cannot be edited, and its text would reach the user via ToString).
    /// </summary>
    public Exception? SafeInner(Exception? exception)
    {
        if (exception is null || !Contains(exception.ToString())) return exception;
        return new RedactedException(exception.GetType().FullName + ": " + Redact(exception.Message), SafeInner(exception.InnerException));
    }

    [GeneratedRegex(@"(?<name>[^&=]*(?:token|key|secret|password|passwd|auth|signature|sig)[^&=]*)=[^&]*", RegexOptions.IgnoreCase)]
    private static partial Regex SecretQueryValue();

    /// <summary>Stands in for an exception whose text contained a secret.</summary>
    internal sealed class RedactedException(string message, Exception? inner) : Exception(message, inner);
}
