using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Simulation;
using PacketCluster.Models.Metal;

namespace PacketCluster.Commands;

/// <summary>Lists the Packet API simulators started by Start-PacketSimulator that still run.</summary>
/// <remarks>
/// Start-PacketSimulator records every simulator it starts (process id, start time, endpoint, project, key, state
/// folder and log) in .simulators under the state root (PACKETCLUSTER_HOME, else ~/.packetcluster). Get-PacketSimulator
/// reads these records from any session and returns the simulators that still run: a process with the recorded id
/// and start time that is a PacketCluster simulator. Records of simulators that are gone are removed (logs stay).
///
/// The objects are the ones Start-PacketSimulator returns: pipe them to Connect-PacketApi or Stop-PacketSimulator.
/// </remarks>
/// <example>
/// <code>Get-PacketSimulator</code>
/// <para>Lists the running simulators with their endpoint, project, process id and start time.</para>
/// </example>
/// <example>
/// <code>Get-PacketSimulator | Select-Object -First 1 | Connect-PacketApi</code>
/// <para>Connects this session to a simulator started in another session.</para>
/// </example>
/// <example>
/// <code>Get-PacketSimulator | Stop-PacketSimulator -PassThru</code>
/// <para>Stops every simulator the module started and returns what was stopped.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketSimulator", HelpUri = HelpLinks.Base + "Get-PacketSimulator.md", DefaultParameterSetName = AllSet)]
[OutputType(typeof(PacketSimulatorInfo))]
public sealed class GetPacketSimulatorCommand : PacketCmdlet
{
    private const string AllSet = "All";
    private const string ProcessIdSet = "ProcessId";

    /// <summary>Only the simulator with this process id.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = ProcessIdSet)]
    [Alias("Id")]
    [ArgumentCompleter(typeof(SimulatorProcessIdCompleter))]
    public int[]? ProcessId { get; set; }

    protected override void EndProcessing()
    {
        RunEngine(() =>
        {
            var running = SimulatorRegistry.Running();
            foreach (var record in running)
            {
                if (ProcessId is not null && !ProcessId.Contains(record.ProcessId)) continue;
                WriteObject(SimulatorObjects.ToInfo(record.Endpoint, record.ApiKey, record.ProjectId, record.AdminEndpoint, record.ProcessId,
                    record.StartTime, record.StateDirectory, record.LogFile));
            }
            if (ProcessId is not null)
                foreach (var missing in ProcessId.Where(id => running.All(r => r.ProcessId != id)))
                    WriteError(new ErrorRecord(new ItemNotFoundException($"No running simulator started by Start-PacketSimulator has process id {missing}."),
                        "SimulatorNotFound", ErrorCategory.ObjectNotFound, missing)
                    {
                        ErrorDetails = new ErrorDetails($"No running simulator started by Start-PacketSimulator has process id {missing}.")
                        {
                            RecommendedAction = "Run Get-PacketSimulator without -ProcessId to list the running simulators.",
                        },
                    });
        });
        base.EndProcessing();
    }
}
