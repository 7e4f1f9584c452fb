using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;
using PacketCluster.Engine.Simulation;

namespace PacketCluster.Completion;

/// <summary>Completes the process ids of the running simulators Start-PacketSimulator recorded; the tooltip names the endpoint and start time.</summary>
public sealed class SimulatorProcessIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        try
        {
            var typed = (wordToComplete ?? string.Empty).Trim('\'', '"');
            return SimulatorRegistry.Running()
                .Select(r => (Id: r.ProcessId.ToString(CultureInfo.InvariantCulture), r))
                .Where(x => x.Id.StartsWith(typed, StringComparison.Ordinal))
                .Select(x => new CompletionResult(x.Id, x.Id, CompletionResultType.ParameterValue,
                    $"{x.r.Endpoint} (started {x.r.StartTime.ToLocalTime():g}{(x.r.StateDirectory is null ? "" : ", state " + x.r.StateDirectory)})"))
                .ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Engine.PacketClusterException)
        {
            return Array.Empty<CompletionResult>();
        }
    }
}
