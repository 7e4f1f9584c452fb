namespace PacketCluster.Engine.Tests.Pki;

/// <summary>A private directory under /tmp with a random name, removed on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory(string purpose)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"packetcluster-{purpose}-{Guid.NewGuid():N}");
        // 0700: test keys are throw-away, but other users on the machine have no business reading them.
        Directory.CreateDirectory(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Path { get; }

    /// <summary>Writes <paramref name="content"/> to a file only the owner can read (kubectl warns about wider modes on kubeconfigs).</summary>
    public string Write(string fileName, string content)
    {
        var path = System.IO.Path.Combine(Path, fileName);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    public string Read(string fileName) => File.ReadAllText(System.IO.Path.Combine(Path, fileName));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail a test run.
        }
    }
}
