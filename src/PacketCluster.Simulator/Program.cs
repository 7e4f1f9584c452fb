using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using PacketCluster.Simulator.Config;
using PacketCluster.Simulator.Hosting;

// Console entry: `dotnet PacketCluster.Simulator.dll --port 0 [--api-key K] [--config file.yaml] [--state-dir DIR] [--seed N] [--log-file F]`.
// stdout carries exactly one JSON line (Start-PacketSimulator parses it); everything else goes to stderr.

var options = new SimulatorOptions { LogToStandardError = true };
string? logFile = null;
try
{
    for (var i = 0; i < args.Length; i++)
    {
        string Value() => i + 1 < args.Length ? args[++i] : throw new SimulatorConfigException($"{args[i]} needs a value");
        switch (args[i])
        {
            case "--port": options.Port = int.TryParse(Value(), out var p) ? p : throw new SimulatorConfigException("--port must be a number"); break;
            case "--api-key": options.ApiKey = Value(); break;
            case "--config": options.ConfigPath = Value(); break;
            case "--state-dir": options.StateDir = Value(); break;
            case "--log-file": logFile = Value(); break;
            case "--seed": options.Seed = int.TryParse(Value(), out var s) ? s : throw new SimulatorConfigException("--seed must be a number"); break;
            case "--help" or "-h":
                Console.Error.WriteLine("usage: PacketCluster.Simulator [--port N] [--api-key KEY] [--config FILE.yaml] [--state-dir DIR] [--seed N] [--log-file FILE]");
                return 0;
            default: throw new SimulatorConfigException($"unknown argument {args[i]}");
        }
    }
}
catch (SimulatorConfigException e)
{
    Console.Error.WriteLine($"packet-simulator: {e.Message}");
    return 2;
}

// Start-PacketSimulator runs us in the background: our log must not depend on the terminal that started us
// (a closed pipe would break logging), so it goes to a file.
if (logFile is not null)
{
    var writer = new StreamWriter(new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    Console.SetError(writer);
}

SimulatorHost host;
try
{
    host = await SimulatorHost.StartAsync(options);
}
catch (SimulatorConfigException e)
{
    Console.Error.WriteLine($"packet-simulator: {e.Message}");
    return 2;
}
catch (IOException e)
{
    Console.Error.WriteLine($"packet-simulator: cannot listen on 127.0.0.1:{options.Port}: {e.Message}");
    return 3;
}

var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });

var line = new JsonObject
{
    ["url"] = host.BaseUrl.ToString(),
    ["apiKey"] = host.ApiKey,
    ["projectId"] = host.ProjectId,
    ["adminUrl"] = host.AdminUrl.ToString(),
    ["pid"] = Environment.ProcessId,
};
Console.Out.WriteLine(line.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
Console.Out.Flush();
if (logFile is not null) StandardStreams.Detach(logFile);

await stop.Task;
await host.DisposeAsync();
return 0;

/// <summary>
/// Once the ready line is out, a simulator started in the background (with --log-file) lets go of the standard streams
/// it was given: stdin and stdout become the null device and stderr its log file, also for the runtime's own messages
/// (file descriptors 0, 1, 2 on Unix). Nothing of the simulator stays tied to the pipes of the session that started it.
/// </summary>
internal static class StandardStreams
{
#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code enabled for the whole project.
    [DllImport("libc", EntryPoint = "dup2", SetLastError = true)]
    private static extern int Dup2(int oldFd, int newFd);
#pragma warning restore SYSLIB1054

    // Kept open for the life of the process: the descriptors 0, 1 and 2 now refer to them.
    private static FileStream? _null, _log;

    public static void Detach(string logFile)
    {
        Console.SetOut(TextWriter.Null);
        Console.SetIn(TextReader.Null);
        if (OperatingSystem.IsWindows()) return;
        try
        {
            _null = new FileStream("/dev/null", FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite);
            _log = new FileStream(logFile, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            var nullFd = (int)_null.SafeFileHandle.DangerousGetHandle();
            var logFd = (int)_log.SafeFileHandle.DangerousGetHandle();
            Dup2(nullFd, 0);
            Dup2(nullFd, 1);
            Dup2(logFd, 2);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or EntryPointNotFoundException)
        {
            Console.Error.WriteLine($"packet-simulator: could not detach the standard streams: {e.Message}");
        }
    }
}
