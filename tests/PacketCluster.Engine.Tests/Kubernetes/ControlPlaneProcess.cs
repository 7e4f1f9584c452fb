using System.Diagnostics;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>One control-plane binary running in the background, its stdout and stderr going to a log file.</summary>
internal sealed class ControlPlaneProcess : IDisposable
{
    private static readonly TimeSpan ExitWait = TimeSpan.FromSeconds(10);
    private const int TailLines = 40;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly object _logLock = new();

    private ControlPlaneProcess(string name, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string Name { get; }
    public string LogPath { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    public static ControlPlaneProcess Start(string name, string executable, IEnumerable<string> arguments, string workingDirectory)
    {
        var logPath = Path.Combine(workingDirectory, $"{name}.log");
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var startInfo = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            startInfo.ArgumentList.Add(argument);

        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var running = new ControlPlaneProcess(name, process, log, logPath);
        process.OutputDataReceived += (_, e) => running.Append(e.Data);
        process.ErrorDataReceived += (_, e) => running.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return running;
    }

    /// <summary>The last lines of the log, for failure messages.</summary>
    public string Tail()
    {
        lock (_logLock)
        {
            using var reader = new StreamReader(new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
            var lines = reader.ReadToEnd().Split('\n');
            return string.Join('\n', lines.TakeLast(TailLines));
        }
    }

    public string Describe() => HasExited
        ? $"{Name} (pid {ProcessId}) exited with code {_process.ExitCode}; last log lines:\n{Tail()}"
        : $"{Name} (pid {ProcessId}) is running; last log lines:\n{Tail()}";

    /// <summary>Kills the process tree by its id and waits for it, so its ports and data directory are free afterwards.</summary>
    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                using var byId = Process.GetProcessById(_process.Id);
                byId.Kill(entireProcessTree: true);
            }
            _process.WaitForExit(ExitWait);
        }
        catch (ArgumentException)
        {
            // Already gone between the check and the kill.
        }
        catch (InvalidOperationException)
        {
            // Already gone between the check and the kill.
        }
        finally
        {
            _process.Dispose();
            lock (_logLock)
                _log.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_logLock)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // Output arriving after Dispose closed the log is of no use to anyone.
            }
        }
    }
}
