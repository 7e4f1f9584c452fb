using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace PacketCluster.Engine.Tests.Pki;

/// <summary>The real openssl binary, run in a temp directory: the independent judge of what the engine writes.</summary>
public sealed class OpenSsl : IDisposable
{
    private readonly TempDirectory _directory = new("openssl");

    public string Directory => _directory.Path;

    public string Write(string fileName, string content) => _directory.Write(fileName, content);

    public string Read(string fileName) => _directory.Read(fileName);

    public CommandResult Run(params string[] arguments) => ExternalCommand.Run("openssl", arguments, Directory);

    /// <summary>Runs openssl and fails the test with its output unless it exits 0.</summary>
    public string RunOk(params string[] arguments)
    {
        var result = Run(arguments);
        Assert.True(result.ExitCode == 0, $"openssl {string.Join(' ', arguments)} failed: {result.Describe()}");
        return result.StandardOutput;
    }

    public CommandResult Shell(string script) => ExternalCommand.Run("/bin/sh", ["-c", script], Directory);

    public string Text(string certificateFile) => RunOk("x509", "-noout", "-text", "-in", certificateFile);

    public string Subject(string certificateFile) =>
        RunOk("x509", "-noout", "-subject", "-in", certificateFile).Trim();

    public DateTimeOffset NotBefore(string certificateFile) => Date(RunOk("x509", "-noout", "-startdate", "-in", certificateFile));

    public DateTimeOffset NotAfter(string certificateFile) => Date(RunOk("x509", "-noout", "-enddate", "-in", certificateFile));

    /// <summary>openssl prints e.g. "notAfter=Mar  1 12:00:00 2036 GMT".</summary>
    private static DateTimeOffset Date(string line)
    {
        var value = Regex.Replace(line[(line.IndexOf('=') + 1)..].Trim(), @"\s+", " ");
        return DateTimeOffset.ParseExact(value, "MMM d HH:mm:ss yyyy 'GMT'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
    }

    public void Dispose() => _directory.Dispose();
}
