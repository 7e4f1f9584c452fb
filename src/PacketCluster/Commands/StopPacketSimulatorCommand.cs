using System.Management.Automation;
using PacketCluster.Engine.Simulation;
using PacketCluster.Models.Metal;

namespace PacketCluster.Commands;

/// <summary>Stops a Packet API simulator started with Start-PacketSimulator.</summary>
/// <remarks>
/// Stops the simulator process by its id. The process is checked to be a PacketCluster simulator first, so a reused
/// process id is never killed by mistake. With a state directory, the simulator's devices survive for the next start.
/// </remarks>
/// <example>
/// <code>$sim = Start-PacketSimulator; …; $sim | Stop-PacketSimulator</code>
/// <para>Stops the simulator that Start-PacketSimulator returned.</para>
/// </example>
/// <example>
/// <code>Stop-PacketSimulator -ProcessId 12345</code>
/// <para>Stops the simulator with process id 12345.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Stop, "PacketSimulator", SupportsShouldProcess = true, DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(void))]
public sealed class StopPacketSimulatorCommand : PacketCmdlet
{
    private const string InputObjectSet = "InputObject";
    private const string ProcessIdSet = "ProcessId";

    /// <summary>The simulator object Start-PacketSimulator returned.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public PacketSimulatorInfo? InputObject { get; set; }

    /// <summary>Process id of the simulator.</summary>
    [Parameter(Mandatory = true, ParameterSetName = ProcessIdSet)]
    [Alias("Id")]
    public int ProcessId { get; set; }

    protected override void ProcessRecord()
    {
        var pid = InputObject?.ProcessId ?? ProcessId;
        if (!ShouldProcess($"simulator process {pid}", "Stop")) return;
        RunEngine(() =>
        {
            if (!SimulatorLauncher.Stop(pid, TimeSpan.FromSeconds(10)))
                WriteWarning($"Simulator process {pid} was not running.");
            else
                WriteVerbose($"Stopped simulator process {pid}.");
        });
    }
}
