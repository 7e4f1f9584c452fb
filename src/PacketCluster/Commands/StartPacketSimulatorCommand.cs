using System.Management.Automation;
using System.Security;
using PacketCluster.Engine.Simulation;
using PacketCluster.Models.Metal;

namespace PacketCluster.Commands;

/// <summary>Starts the Packet API simulator: a local, faithful implementation of the Packet / Equinix Metal API.</summary>
/// <remarks>
/// Start-PacketSimulator runs the simulator that ships with the module as a background process on the loopback
/// interface and returns its endpoint, a fresh API key (as a SecureString) and the seeded project id. Pipe the result
/// to Connect-PacketApi to use it. The simulator hands out device and elastic IP addresses from 127.0.0.0/8 only, so
/// nothing it simulates can send traffic off this machine. It needs the ASP.NET Core runtime (part of the .NET SDK).
/// Stop it with Stop-PacketSimulator.
/// </remarks>
/// <example>
/// <code>$sim = Start-PacketSimulator; $sim | Connect-PacketApi; Get-PacketPlan -Metro sv</code>
/// <para>Starts a simulator, connects to it and lists the plans available in metro sv with their hourly prices.</para>
/// </example>
/// <example>
/// <code>Start-PacketSimulator -Port 8080 -StateDirectory ./simstate -Seed 42</code>
/// <para>Starts a simulator on a fixed port that keeps its devices in ./simstate across restarts, with deterministic fault injection.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Start, "PacketSimulator", SupportsShouldProcess = true)]
[OutputType(typeof(PacketSimulatorInfo))]
public sealed class StartPacketSimulatorCommand : PacketCmdlet
{
    /// <summary>Loopback port to listen on; 0 (the default) picks a free one.</summary>
    [Parameter]
    [ValidateRange(0, 65535)]
    public int Port { get; set; }

    /// <summary>A SimulatorConfig YAML file: timings, address ranges, rate limit and fault rules.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ConfigFile { get; set; }

    /// <summary>Folder where the simulator keeps its devices, IPs and keys across restarts.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? StateDirectory { get; set; }

    /// <summary>Seed for the simulator's randomness (fault injection, jitter), for repeatable runs.</summary>
    [Parameter]
    public int? Seed { get; set; }

    /// <summary>Seconds to wait for the simulator to be ready (default 60).</summary>
    [Parameter]
    [ValidateRange(1, 600)]
    public int TimeoutSeconds { get; set; } = 60;

    protected override void EndProcessing()
    {
        if (!ShouldProcess($"127.0.0.1:{(Port == 0 ? "<free port>" : Port)}", "Start the Packet API simulator")) return;
        var moduleDirectory = Path.GetDirectoryName(typeof(StartPacketSimulatorCommand).Assembly.Location)!;
        var simulator = Environment.GetEnvironmentVariable("PACKETCLUSTER_SIMULATOR_PATH") ?? string.Empty;
        if (simulator.Length == 0) RunEngine(() => simulator = SimulatorLauncher.LocateInModule(moduleDirectory));
        var logDirectory = Path.Combine(Path.GetTempPath(), "packetcluster-simulator");
        Directory.CreateDirectory(logDirectory);
        var options = new SimulatorLaunchOptions
        {
            SimulatorPath = simulator,
            Port = Port,
            ConfigFile = Resolve(ConfigFile),
            StateDirectory = Resolve(StateDirectory),
            Seed = Seed,
            LogFile = Path.Combine(logDirectory, $"simulator-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..6]}.log"),
            StartTimeout = TimeSpan.FromSeconds(TimeoutSeconds),
        };
        var info = RunEngineAsync((log, ct) => SimulatorLauncher.StartAsync(options, log, ct));
        var key = new SecureString();
        foreach (var c in info.ApiKey) key.AppendChar(c);
        key.MakeReadOnly();
        WriteObject(new PacketSimulatorInfo
        {
            Endpoint = info.Endpoint,
            ApiKey = key,
            ProjectId = info.ProjectId,
            AdminEndpoint = info.AdminEndpoint,
            ProcessId = info.ProcessId,
            StateDirectory = options.StateDirectory,
        });
        base.EndProcessing();
    }

    private string? Resolve(string? path) => path is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
