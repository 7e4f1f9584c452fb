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
            var info = Parse(line, process.Id, options.LogFile);
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
    public static bool Stop(int processId, TimeSpan wait)
    {
        Process process;
        try { process = Process.GetProcessById(processId); }
        catch (ArgumentException) { return false; }
        using (process)
        {
            if (process.HasExited) return false;
            if (!IsSimulator(process))
                throw new PacketClusterException("NotASimulator", ErrorKind.InvalidArgument,
                    $"Process {processId} is not a PacketCluster simulator; it was not stopped.",
                    "Pass the id of a simulator process (Start-PacketSimulator returns it).", processId);
            // SIGTERM first: the simulator then stops the processes of its booted devices and removes their folders.
            // Only if it does not exit in time, kill the whole tree (nothing it started survives either way).
            if (!OperatingSystem.IsWindows() && SendSignal(processId, SigTerm) == 0 && process.WaitForExit(wait))
                return true;
            process.Kill(entireProcessTree: true);
            process.WaitForExit((int)wait.TotalMilliseconds);
            return true;
        }
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
    /// On Linux the command line names the simulator (also when the dotnet host runs the dll); elsewhere the
    /// self-contained executable's process name does. A dotnet host on macOS or Windows cannot be told apart from any
    /// other .NET program, so it is refused rather than signalled.
    /// </summary>
    private static bool IsSimulator(Process process)
    {
        if (OperatingSystem.IsLinux()) return CommandLine(process.Id).Contains(SimulatorMarker, StringComparison.Ordinal);
        try { return process.ProcessName.Equals(SimulatorMarker, StringComparison.OrdinalIgnoreCase); }
        catch (InvalidOperationException) { return false; }
    }

    private static string CommandLine(int processId)
    {
        try { return File.ReadAllText($"/proc/{processId}/cmdline").Replace('\0', ' '); }
        catch (IOException) { return string.Empty; }
        catch (UnauthorizedAccessException) { return string.Empty; }
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
