using System.Diagnostics;
using System.Globalization;

namespace PacketCluster.Engine.Store;

/// <summary>
/// One writer per cluster folder. The <c>.lock</c> file is held open with <see cref="FileShare.None"/>, which .NET
/// enforces with flock(LOCK_EX) on Unix and a share-mode lock on Windows; both go when the process does, so a crash
/// never leaves a stale lock. The holder's pid and start time sit in a sibling file, because the lock file itself
/// cannot be opened by anyone else.
/// </summary>
internal sealed class ClusterStateLock : IDisposable
{
    public const string LockFileName = ".lock";
    public const string OwnerFileName = ".lock-owner";
    public const string LockedErrorId = "ClusterStateLocked";

    private readonly FileStream _stream;
    private readonly string _ownerPath;

    private ClusterStateLock(FileStream stream, string ownerPath)
    {
        _stream = stream;
        _ownerPath = ownerPath;
    }

    public static ClusterStateLock Acquire(string directory)
    {
        var lockPath = Path.Combine(directory, LockFileName);
        var ownerPath = Path.Combine(directory, OwnerFileName);
        var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = AtomicFile.PrivateFile;
        FileStream stream;
        try
        {
            stream = new FileStream(lockPath, options);
        }
        catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
        {
            throw Locked(directory, ownerPath, ex);
        }

        try
        {
            var ownerOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.Read };
            if (!OperatingSystem.IsWindows()) ownerOptions.UnixCreateMode = AtomicFile.PrivateFile;
            using (var owner = new StreamWriter(new FileStream(ownerPath, ownerOptions)))
                owner.Write(DescribeCurrentProcess());
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return new ClusterStateLock(stream, ownerPath);
    }

    public void Dispose()
    {
        // Owner file first, while the lock is still ours: a new holder may have written its own right after release.
        AtomicFile.TryDelete(_ownerPath);
        _stream.Dispose();
    }

    private static string DescribeCurrentProcess()
    {
        using var self = Process.GetCurrentProcess();
        string started;
        try { started = self.StartTime.ToUniversalTime().ToString("u", CultureInfo.InvariantCulture); }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception) { started = "unknown"; }
        return $"pid={Environment.ProcessId}\nstarted={started}\nhost={Environment.MachineName}\n";
    }

    private static PacketClusterException Locked(string directory, string ownerPath, Exception inner)
    {
        string holder;
        try
        {
            var fields = File.ReadAllLines(ownerPath)
                .Select(line => line.Split('=', 2))
                .Where(parts => parts.Length == 2)
                .ToDictionary(parts => parts[0], parts => parts[1]);
            holder = fields.TryGetValue("pid", out var pid)
                ? $"process {pid}" + (fields.TryGetValue("started", out var started) ? $" (started {started}" + (fields.TryGetValue("host", out var host) ? $" on {host})" : ")") : string.Empty)
                  + (pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture) ? ", this process: close the other FileStore first" : string.Empty)
                : "another process";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            holder = "another process";
        }
        return new PacketClusterException(LockedErrorId, ErrorKind.InvalidOperation,
            $"The cluster state in '{directory}' is in use by {holder}. Finish or close the other PowerShell session " +
            "(or stop the command using it) and try again; the lock is released as soon as that process exits.",
            "Wait for the other command to finish, or close the PowerShell session that holds the lock, then try again.",
            directory, inner);
    }
}
