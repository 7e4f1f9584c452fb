using System.Management.Automation;
using PacketCluster.Engine.Simulation;
using PacketCluster.Models.Metal;

namespace PacketCluster.Commands;

/// <summary>Starts the Packet API simulator: a local, faithful implementation of the Packet / Equinix Metal API.</summary>
/// <remarks>
/// Start-PacketSimulator runs the simulator that ships with the module as a background process on the loopback
/// interface and returns its endpoint, a fresh API key (as a SecureString) and the seeded project id. Pipe the result
/// to Connect-PacketApi to use it. The simulator hands out device and elastic IP addresses from 127.0.0.0/8 only, so
/// nothing it simulates can send traffic off this machine.
///
/// The simulator keeps none of this session's standard streams: it logs to simulator.log in its -StateDirectory, else
/// in its own folder under the state root (PACKETCLUSTER_HOME, else ~/.packetcluster) in .simulators, where it is also
/// recorded so Get-PacketSimulator finds it from any session. The LogFile property says where. It runs until
/// Stop-PacketSimulator stops it.
/// </remarks>
/// <example>
/// <code>$sim = Start-PacketSimulator; $sim | Connect-PacketApi; Get-PacketPlan -Metro sv</code>
/// <para>Starts a simulator, connects to it and lists the plans available in metro sv with their hourly prices.</para>
/// </example>
/// <example>
/// <code>Start-PacketSimulator -Port 8080 -StateDirectory ./simstate -Seed 42</code>
/// <para>Starts a simulator on a fixed port that keeps its devices in ./simstate across restarts, with deterministic fault injection.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Start, "PacketSimulator", HelpUri = HelpLinks.Base + "Start-PacketSimulator.md", SupportsShouldProcess = true)]
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

    /// <summary>Folder where the simulator keeps its devices, IPs and keys across restarts, and its log (simulator.log).</summary>
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
        var stateDirectory = Resolve(StateDirectory);
        // Its folder in the registry (Get-PacketSimulator finds it there); its log goes to its state folder, else there.
        string runDirectory = string.Empty;
        RunEngine(() =>
        {
            try { runDirectory = SimulatorRegistry.NewRunDirectory(); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new Engine.PacketClusterException("SimulatorRegistryUnavailable", Engine.ErrorKind.WriteError,
                    $"Cannot create the simulator's folder under {SimulatorRegistry.Root()}: {e.Message} Set PACKETCLUSTER_HOME to a folder you may write.",
                    "Set PACKETCLUSTER_HOME to a folder you may write, or free space there.", SimulatorRegistry.Root(), e);
            }
        });
        if (stateDirectory is not null) Directory.CreateDirectory(stateDirectory);
        var options = new SimulatorLaunchOptions
        {
            SimulatorPath = simulator,
            Port = Port,
            ConfigFile = Resolve(ConfigFile),
            StateDirectory = stateDirectory,
            Seed = Seed,
            LogFile = Path.Combine(stateDirectory ?? runDirectory, SimulatorRegistry.LogFileName),
            StartTimeout = TimeSpan.FromSeconds(TimeoutSeconds),
        };
        var info = RunEngineAsync((log, ct) => SimulatorLauncher.StartAsync(options, log, ct));
        RunEngine(() => SimulatorRegistry.Register(runDirectory, new SimulatorRecord
        {
            ProcessId = info.ProcessId, StartTime = info.StartTime, Endpoint = info.Endpoint, AdminEndpoint = info.AdminEndpoint,
            ProjectId = info.ProjectId, ApiKey = info.ApiKey, StateDirectory = options.StateDirectory, LogFile = options.LogFile,
        }));
        WriteObject(SimulatorObjects.ToInfo(info.Endpoint, info.ApiKey, info.ProjectId, info.AdminEndpoint, info.ProcessId, info.StartTime, options.StateDirectory, options.LogFile));
        base.EndProcessing();
    }

    private string? Resolve(string? path) => path is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
