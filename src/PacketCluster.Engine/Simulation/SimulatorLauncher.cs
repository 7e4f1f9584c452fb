using System.Diagnostics;
using System.Text.Json;

namespace PacketCluster.Engine.Simulation;

/// <summary>
/// Starts and stops the Packet API simulator as a separate process (it needs ASP.NET Core, which pwsh does not
/// load). The simulator prints one JSON line with its URL, key and project on stdout, then logs to its log file.
/// </summary>
public static class SimulatorLauncher
{
    private const string SimulatorMarker = "PacketCluster.Simulator";

    public static async Task<SimulatorProcessInfo> StartAsync(SimulatorLaunchOptions options, IEngineLog log, CancellationToken cancellationToken)
    {
        if (!File.Exists(options.SimulatorPath))
            throw new PacketClusterException("SimulatorNotFound", ErrorKind.ObjectNotFound,
                $"The simulator is not at '{options.SimulatorPath}'. Reinstall the module, or build it with ./build.sh Package.",
                "Reinstall the module, or set PACKETCLUSTER_SIMULATOR_PATH to a simulator build.", options.SimulatorPath);

        var frameworkDependent = options.SimulatorPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var start = new ProcessStartInfo(frameworkDependent ? DotnetHost() : options.SimulatorPath)
        {
            // None of the caller's streams: a simulator left running must not hold the pipe of `pwsh … 2>&1 | sed`
            // open (seen: the pipeline waited for the simulator). stdout carries the one ready line; stderr is read
            // only when it fails to start (it logs to its file from the start).
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (frameworkDependent) start.ArgumentList.Add(options.SimulatorPath);
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add(options.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        start.ArgumentList.Add("--log-file");
        start.ArgumentList.Add(options.LogFile);
        if (options.ConfigFile is { } config) { start.ArgumentList.Add("--config"); start.ArgumentList.Add(config); }
        if (options.StateDirectory is { } state) { start.ArgumentList.Add("--state-dir"); start.ArgumentList.Add(state); }
        if (options.Seed is { } seed) { start.ArgumentList.Add("--seed"); start.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture)); }

        log.Verbose($"Starting the Packet API simulator: {start.FileName} {string.Join(' ', start.ArgumentList)}");
        var process = Process.Start(start) ?? throw new PacketClusterException("SimulatorStartFailed", ErrorKind.InvalidOperation, "The simulator process did not start.", "Check that the simulator file can run on this machine, then run Start-PacketSimulator again.");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.StartTimeout);
        try
        {
            var line = await process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
            if (line is null)
            {
                await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
                var said = (await process.StandardError.ReadToEndAsync(timeout.Token).ConfigureAwait(false)).Trim();
                throw new PacketClusterException("SimulatorStartFailed", ErrorKind.InvalidOperation,
                    $"The simulator exited with code {process.ExitCode} before it was ready. {(said.Length > 0 ? said + " " : "")}{LogTail(options.LogFile)}".TrimEnd(),
                    "Read the simulator's log named in the message, fix what it reports (e.g. a busy port), then run Start-PacketSimulator again.", options.SimulatorPath);
            }
            var info = Parse(line, process.Id, options.LogFile) with { StartTime = StartTimeOf(process) ?? DateTimeOffset.UtcNow };
            // Our ends of its pipes are not needed any more (it detaches its own standard streams once ready): closing
            // them now leaves nothing of the simulator tied to this process's handles.
            process.StandardInput.Close();
            process.StandardOutput.Close();
            process.StandardError.Close();
            process.Dispose();
            log.Verbose($"Simulator {info.ProcessId} serves {info.Endpoint} (project {info.ProjectId}); log: {options.LogFile}");
            return info;
        }
        catch (Exception ex) when (ex is OperationCanceledException or PacketClusterException or JsonException)
        {
            TryKill(process);
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
                throw new PacketClusterException("SimulatorStartTimeout", ErrorKind.OperationTimeout,
                    $"The simulator did not report ready within {options.StartTimeout.TotalSeconds:N0} s. {LogTail(options.LogFile)}",
                    "Read the simulator's log named in the message; run Start-PacketSimulator again, with a longer timeout if the machine is busy.", options.SimulatorPath, ex);
            if (ex is JsonException)
                throw new PacketClusterException("SimulatorStartFailed", ErrorKind.InvalidData, "The simulator printed an unexpected first line.", "Check that PACKETCLUSTER_SIMULATOR_PATH (if set) names the PacketCluster simulator, or reinstall the module.", options.SimulatorPath, ex);
            throw;
        }
    }

    /// <summary>Stops a simulator by process id, checking first that the process is one (ids get reused).</summary>
    /// <param name="expectedStart">
    /// When the simulator started (from Start-PacketSimulator or the registry): a process with this id that started at
    /// another time is not it, even if it is another simulator.
    /// </param>
    /// <returns>False when no such process runs.</returns>
    /// <exception cref="PacketClusterException">NotASimulator: the process is not this simulator; it was not signalled.</exception>
    public static bool Stop(int processId, TimeSpan wait, DateTimeOffset? expectedStart = null)
    {
        Process process;
        try { process = Process.GetProcessById(processId); }
        catch (ArgumentException) { return false; }
        using (process)
        {
            if (HasExited(process)) return false;
            if (WhyNotOurs(process, expectedStart) is { } reason)
                throw new PacketClusterException("NotASimulator", ErrorKind.InvalidArgument,
                    $"Process {processId} is not the PacketCluster simulator to stop ({reason}); it was not stopped.",
                    "Pass the id of a running simulator: Get-PacketSimulator lists them.", processId);
            // SIGTERM first: the simulator then stops the processes of its booted devices and removes their folders.
            // Only if it does not exit in time, kill the whole tree (nothing it started survives either way).
            if (!OperatingSystem.IsWindows() && SendSignal(processId, SigTerm) == 0 && process.WaitForExit(wait))
                return true;
            process.Kill(entireProcessTree: true);
            process.WaitForExit((int)wait.TotalMilliseconds);
            return true;
        }
    }

    /// <summary>True when <paramref name="processId"/> runs and is the simulator that started at <paramref name="expectedStart"/>.</summary>
    public static bool IsRunning(int processId, DateTimeOffset? expectedStart)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !HasExited(process) && WhyNotOurs(process, expectedStart) is null;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>How far apart two readings of one process's start time may be (the OS keeps it in clock ticks since boot).</summary>
    private static readonly TimeSpan StartTimeTolerance = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Null when <paramref name="process"/> is a PacketCluster simulator (and, when known, the one that started at
    /// <paramref name="expectedStart"/>); else why not. Works the same on Linux, macOS and Windows through
    /// System.Diagnostics.Process: the start time the OS reports, and the executable or command line naming the simulator.
    /// </summary>
    private static string? WhyNotOurs(Process process, DateTimeOffset? expectedStart)
    {
        if (!IsSimulator(process)) return $"it runs {Describe(process)}, not {SimulatorMarker}";
        if (expectedStart is { } expected && StartTimeOf(process) is { } actual && (actual - expected).Duration() > StartTimeTolerance)
            return $"it started at {actual:u}, the simulator at {expected.ToUniversalTime():u}: the id was given to another process";
        if (expectedStart is not null && StartTimeOf(process) is null) return "its start time cannot be read to tell it is the same process";
        return null;
    }

    private static DateTimeOffset? StartTimeOf(Process process)
    {
        try { return new DateTimeOffset(process.StartTime.ToUniversalTime(), TimeSpan.Zero); }
        catch (InvalidOperationException) { return null; }
        catch (System.ComponentModel.Win32Exception) { return null; }
        catch (NotSupportedException) { return null; }
    }

    private static bool HasExited(Process process)
    {
        try { return process.HasExited; }
        catch (InvalidOperationException) { return true; }
        catch (System.ComponentModel.Win32Exception) { return false; } // not ours to inspect (another user's): checked below
    }

    private static string Describe(Process process)
    {
        try { return $"'{process.ProcessName}'"; }
        catch (InvalidOperationException) { return "a process that has exited"; }
    }

    private const int SigTerm = 15;

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code enabled for the whole project.
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
#pragma warning restore SYSLIB1054

    private static SimulatorProcessInfo Parse(string line, int processId, string logFile)
    {
        using var doc = JsonDocument.Parse(line);
        var root = doc.RootElement;
        string Get(string name) => root.TryGetProperty(name, out var v) && v.GetString() is { Length: > 0 } s
            ? s : throw new JsonException($"missing '{name}'");
        var admin = root.TryGetProperty("adminUrl", out var a) && a.GetString() is { } adminUrl ? new Uri(adminUrl) : null;
        return new SimulatorProcessInfo(new Uri(Get("url")), Get("apiKey"), Get("projectId"), admin, processId, logFile);
    }

    /// <summary>
    /// Where a module folder keeps the simulator for the platform this process runs on:
    /// <c>Simulator/&lt;rid&gt;/PacketCluster.Simulator[.exe]</c>, self-contained, so no .NET runtime or ASP.NET Core
    /// has to be installed (pwsh 7.4 carries only .NET 8 without ASP.NET Core).
    /// </summary>
    public static string LocateInModule(string moduleDirectory)
    {
        var rid = SimulatorPlatform.Current;
        var folder = Path.Combine(moduleDirectory, "Simulator");
        var path = Path.Combine(folder, rid, OperatingSystem.IsWindows() ? SimulatorMarker + ".exe" : SimulatorMarker);
        if (File.Exists(path)) return EnsureExecutable(path);
        var shipped = Directory.Exists(folder)
            ? string.Join(", ", Directory.GetDirectories(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal))
            : "none";
        throw new PacketClusterException("SimulatorNotFound", ErrorKind.ObjectNotFound,
            $"This copy of the module has no simulator for {rid} (it has: {shipped}). Install the module from the PowerShell Gallery, " +
            $"which carries all platforms, or build it here with './build.sh Package -Runtime {rid}'. PACKETCLUSTER_SIMULATOR_PATH can name a simulator.",
            "Install the module from the PowerShell Gallery, build it for this platform, or set PACKETCLUSTER_SIMULATOR_PATH.", path);
    }

    /// <summary>
    /// A .nupkg is a zip and keeps no Unix modes, so Install-PSResource leaves the simulator without its execute bit:
    /// it is set on first use (the read bits say who may run it). A module installed by another user that we may not
    /// change gets an error that says the one command to run.
    /// </summary>
    private static string EnsureExecutable(string path)
    {
        if (OperatingSystem.IsWindows()) return path;
        var mode = File.GetUnixFileMode(path);
        if ((mode & UnixFileMode.UserExecute) != 0) return path;
        var execute = UnixFileMode.UserExecute
            | ((mode & UnixFileMode.GroupRead) != 0 ? UnixFileMode.GroupExecute : 0)
            | ((mode & UnixFileMode.OtherRead) != 0 ? UnixFileMode.OtherExecute : 0);
        try
        {
            File.SetUnixFileMode(path, mode | execute);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new PacketClusterException("SimulatorNotExecutable", ErrorKind.PermissionDenied,
                $"The simulator at '{path}' is not executable and this user may not change it (the package format keeps no file modes). Run: chmod +x '{path}'",
                "Make the simulator executable (chmod +x on the path in the message), then run the command again.", path, e);
        }
        return path;
    }

    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase)) return current;
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        var name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        if (root is not null && File.Exists(Path.Combine(root, name))) return Path.Combine(root, name);
        return name; // from PATH
    }

    /// <summary>
    /// The self-contained simulator (what the module ships for every platform) is named by its executable: the main
    /// module's file name, else the process name. Under the dotnet host (builds and tests) the command line names the
    /// simulator's dll: read from /proc on Linux and from ps on macOS; on Windows such a host is refused rather than
    /// signalled, as it cannot be told apart from any other .NET program.
    /// </summary>
    private static bool IsSimulator(Process process)
    {
        if (OperatingSystem.IsLinux() && CommandLine(process.Id).Contains(SimulatorMarker, StringComparison.Ordinal)) return true;
        try
        {
            if (process.MainModule?.FileName is { } path && Path.GetFileNameWithoutExtension(path).Equals(SimulatorMarker, StringComparison.OrdinalIgnoreCase))
                return true;
        }
        catch (System.ComponentModel.Win32Exception) { }
        catch (InvalidOperationException) { return false; }
        catch (NotSupportedException) { }
        try
        {
            if (process.ProcessName.Equals(SimulatorMarker, StringComparison.OrdinalIgnoreCase)) return true;
        }
        catch (InvalidOperationException) { return false; }
        return OperatingSystem.IsMacOS() && PsCommandLine(process.Id).Contains(SimulatorMarker, StringComparison.Ordinal);
    }

    private static string CommandLine(int processId)
    {
        try { return File.ReadAllText($"/proc/{processId}/cmdline").Replace('\0', ' '); }
        catch (IOException) { return string.Empty; }
        catch (UnauthorizedAccessException) { return string.Empty; }
    }

    /// <summary>The command line as ps shows it (macOS has no /proc); empty when ps cannot say.</summary>
    private static string PsCommandLine(int processId)
    {
        try
        {
            var start = new ProcessStartInfo("ps") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
            foreach (var a in new[] { "-o", "command=", "-p", processId.ToString(System.Globalization.CultureInfo.InvariantCulture) }) start.ArgumentList.Add(a);
            using var ps = Process.Start(start);
            if (ps is null) return string.Empty;
            ps.StandardInput.Close();
            var text = ps.StandardOutput.ReadToEnd();
            ps.WaitForExit(5000);
            return text;
        }
        catch (System.ComponentModel.Win32Exception) { return string.Empty; }
        catch (IOException) { return string.Empty; }
    }

    private static string LogTail(string logFile)
    {
        try
        {
            var lines = File.ReadLines(logFile).TakeLast(5).ToList();
            return lines.Count == 0 ? $"See {logFile}." : $"Last lines of {logFile}:\n" + string.Join("\n", lines);
        }
        catch (IOException) { return string.Empty; }
    }

    private static void TryKill(Process process)
    {
        try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { }
    }
}
