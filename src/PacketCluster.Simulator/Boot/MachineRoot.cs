namespace PacketCluster.Simulator.Boot;

/// <summary>
/// A simulated machine's file system: machine paths ("/etc/kubernetes/pki/ca.crt") map into a per-device folder the
/// simulator owns. Nothing may escape it ("/../" is refused). Files holding keys are written 0600.
/// </summary>
public sealed class MachineRoot
{
    private const UnixFileMode Directories = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public MachineRoot(string rootDirectory)
    {
        RootDirectory = System.IO.Path.GetFullPath(rootDirectory);
        LogDirectory = Path("/var/log");
        CreateDirectory(LogDirectory);
    }

    public string RootDirectory { get; }
    public string LogDirectory { get; }

    /// <summary>The host path of a machine path; relative machine paths are taken from "/".</summary>
    /// <exception cref="BootException">The path leaves the machine root.</exception>
    public string Path(string machinePath)
    {
        var full = System.IO.Path.GetFullPath(System.IO.Path.Join(RootDirectory, machinePath.TrimStart('/')));
        if (full != RootDirectory && !full.StartsWith(RootDirectory + System.IO.Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new BootException($"path {machinePath} leaves the machine's root");
        return full;
    }

    /// <summary>Writes a file the userdata names (its mode as given).</summary>
    public void Write(string machinePath, byte[] content, UnixFileMode mode)
    {
        var path = Path(machinePath);
        CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, mode);
    }

    /// <summary>Writes a host path inside the root with mode 0600; returns the path.</summary>
    public string WriteSecret(string hostPath, string content)
    {
        CreateDirectory(System.IO.Path.GetDirectoryName(hostPath)!);
        File.WriteAllText(hostPath, content);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(hostPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return hostPath;
    }

    /// <summary>A folder inside the root, private to the simulator's user (mode 0700).</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
        else Directory.CreateDirectory(path, Directories);
    }

    /// <summary>Removes the whole root; a few retries because a just-killed process may still hold a file.</summary>
    public void Delete()
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (Directory.Exists(RootDirectory)) Directory.Delete(RootDirectory, recursive: true);
                return;
            }
            catch (IOException) when (attempt < 4)
            {
                Thread.Sleep(200);
            }
        }
    }
}
