using System.Diagnostics;
using System.Runtime.InteropServices;

namespace PacketCluster.Simulator.Boot;

/// <summary>
/// One binary a simulated machine runs (etcd, kube-apiserver, kube-controller-manager): started without a shell,
/// stdout and stderr appended to <c>&lt;name&gt;.log</c> in the machine's log folder, stopped by its process id
/// (SIGTERM, then SIGKILL after a bound) and waited for.
/// </summary>
public sealed class KubeProcess : IAsyncDisposable
{
    private static readonly TimeSpan TermWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan KillWait = TimeSpan.FromSeconds(10);
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _logLock = new();
    private int _stopped;

    private KubeProcess(string name, Process process, StreamWriter log, string logPath)
    {
        Name = name;
        _process = process;
        _log = log;
        LogPath = logPath;
    }

    public string Name { get; }
    public string LogPath { get; }
    public int ProcessId { get; private set; }
    public bool HasExited => _process.HasExited;
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Completes when the process has exited (not when it is stopped through <see cref="DisposeAsync"/> first: then never).</summary>
    public Task WaitForExitAsync(CancellationToken cancel) => _process.WaitForExitAsync(cancel);

    /// <param name="environment">Null: the simulator's own environment (the control-plane binaries need nothing else).
    /// Otherwise exactly these variables and no others: a container must not see the simulator's environment.</param>
    /// <param name="logPath">Null: <c>&lt;name&gt;.log</c> in <paramref name="logDirectory"/>.</param>
    public static KubeProcess Start(string name, string executable, IEnumerable<string> arguments, string logDirectory, string workingDirectory,
        IReadOnlyDictionary<string, string>? environment = null, string? logPath = null)
    {
        logPath ??= Path.Combine(logDirectory, $"{name}.log");
        var log = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
        var startInfo = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);
        if (environment is not null)
        {
            startInfo.Environment.Clear();
            foreach (var (key, value) in environment) startInfo.Environment[key] = value;
        }
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var running = new KubeProcess(name, process, log, logPath);
        process.OutputDataReceived += (_, e) => running.Append(e.Data);
        process.ErrorDataReceived += (_, e) => running.Append(e.Data);
        try
        {
            process.Start();
        }
        catch
        {
            log.Dispose();
            process.Dispose();
            throw;
        }
        running.ProcessId = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return running;
    }

    /// <summary>The last lines of the log, for a console line when the process died.</summary>
    public string Tail(int lines = 5)
    {
        lock (_logLock)
        {
            try
            {
                using var reader = new StreamReader(new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
                return string.Join(" | ", reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines));
            }
            catch (IOException)
            {
                return "";
            }
        }
    }

    /// <summary>SIGTERM, wait, SIGKILL, wait: afterwards the pid is gone and the ports are free. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        try
        {
            if (!_process.HasExited)
            {
                using var term = new CancellationTokenSource(Terminate() ? TermWait : TimeSpan.Zero);
                try { await _process.WaitForExitAsync(term.Token); }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    using var kill = new CancellationTokenSource(KillWait);
                    try { await _process.WaitForExitAsync(kill.Token); }
                    catch (OperationCanceledException) { /* reported by the caller's pid check; nothing more to do */ }
                }
            }
        }
        catch (InvalidOperationException)
        {
            // The process was already reaped.
        }
        finally
        {
            _process.Dispose();
            lock (_logLock) _log.Dispose();
        }
    }

    /// <summary>SIGTERM by pid; false where signals cannot be sent (then the caller kills at once).</summary>
    private bool Terminate()
    {
        if (OperatingSystem.IsWindows()) return false;
        try { return SendSignal(ProcessId, SigTerm) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_logLock)
        {
            try { _log.WriteLine(line); }
            catch (ObjectDisposedException) { /* output after stop */ }
        }
    }

    // DllImport rather than LibraryImport: the latter needs unsafe code enabled for the whole project.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);
#pragma warning restore SYSLIB1054
}
