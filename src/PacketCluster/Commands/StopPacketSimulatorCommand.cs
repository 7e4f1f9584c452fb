using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Simulation;
using PacketCluster.Models.Metal;

namespace PacketCluster.Commands;

/// <summary>Stops a Packet API simulator started with Start-PacketSimulator.</summary>
/// <remarks>
/// Stops the simulator process by its id, on Linux, macOS and Windows alike. The process is checked first to be that
/// simulator: its executable or command line must name the PacketCluster simulator, and its start time must be the
/// one recorded when it was started (from the object, or from the record Start-PacketSimulator keeps). A process that
/// does not match is refused with the error NotASimulator and is not signalled, so a reused process id is never
/// stopped by mistake. With a state directory, the simulator's devices survive for the next start.
/// </remarks>
/// <example>
/// <code>$sim = Start-PacketSimulator; …; $sim | Stop-PacketSimulator</code>
/// <para>Stops the simulator that Start-PacketSimulator returned.</para>
/// </example>
/// <example>
/// <code>Stop-PacketSimulator -ProcessId 12345</code>
/// <para>Stops the simulator with process id 12345.</para>
/// </example>
/// <example>
/// <code>Get-PacketSimulator | Stop-PacketSimulator -PassThru</code>
/// <para>Stops every running simulator the module started and returns the stopped ones.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Stop, "PacketSimulator", HelpUri = HelpLinks.Base + "Stop-PacketSimulator.md", SupportsShouldProcess = true, DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(PacketSimulatorInfo))]
public sealed class StopPacketSimulatorCommand : PacketCmdlet
{
    private const string InputObjectSet = "InputObject";
    private const string ProcessIdSet = "ProcessId";

    /// <summary>The simulator object Start-PacketSimulator or Get-PacketSimulator returned.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public PacketSimulatorInfo? InputObject { get; set; }

    /// <summary>Process id of the simulator.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ProcessIdSet)]
    [Alias("Id")]
    [ArgumentCompleter(typeof(SimulatorProcessIdCompleter))]
    public int ProcessId { get; set; }

    /// <summary>Return the simulator object that was stopped.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var pid = InputObject?.ProcessId ?? ProcessId;
        if (!ShouldProcess($"simulator process {pid}", "Stop")) return;
        RunEngine(() =>
        {
            // The start time to check: the object's, else the registry's record of this pid (none: the name check only).
            var record = InputObject?.StartTime is null ? SimulatorRegistry.Find(pid) : null;
            var expectedStart = InputObject?.StartTime ?? record?.StartTime;
            bool stopped;
            try { stopped = SimulatorLauncher.Stop(pid, TimeSpan.FromSeconds(10), expectedStart); }
            catch (Engine.PacketClusterException e) when (e.ErrorId == "NotASimulator")
            {
                var error = ToErrorRecord(e);
                error.ErrorDetails = new ErrorDetails(e.Message)
                {
                    RecommendedAction = "Check the process id: Get-PacketSimulator lists the simulators that run. A process that is not the simulator is never stopped by this cmdlet.",
                };
                WriteError(error);
                return;
            }
            SimulatorRegistry.Unregister(pid, expectedStart);
            if (!stopped)
                WriteWarning($"Simulator process {pid} was not running.");
            else
                WriteVerbose($"Stopped simulator process {pid}.");
            if (PassThru)
                WriteObject(InputObject ?? (record is null ? new PacketSimulatorInfo { ProcessId = pid } :
                    SimulatorObjects.ToInfo(record.Endpoint, record.ApiKey, record.ProjectId, record.AdminEndpoint, record.ProcessId, record.StartTime, record.StateDirectory, record.LogFile)));
        });
    }
}
