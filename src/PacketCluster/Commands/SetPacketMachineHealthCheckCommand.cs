using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Commands;

/// <summary>Changes a MachineHealthCheck's timeouts, conditions or MaxUnhealthy.</summary>
/// <remarks>
/// Only the settings given change. -UnhealthyTimeout applies to every unhealthy condition; -UnhealthyCondition replaces
/// the list (each keeps the timeout in force unless -UnhealthyTimeout is given too). The change is checked before it is
/// written; the next reconcile pass (the cluster's manager once pivoted) acts on it. Needs no API connection.
/// </remarks>
/// <example>
/// <code>Set-PacketMachineHealthCheck -ClusterName demo -Name workers -MaxUnhealthy 2 -UnhealthyTimeout 10m</code>
/// <para>Lets two workers of cluster demo be replaced at once, each after 10 minutes not Ready.</para>
/// </example>
/// <example>
/// <code>Get-PacketMachineHealthCheck demo | Set-PacketMachineHealthCheck -NodeStartupTimeout 20m</code>
/// <para>Gives new machines of every health check of cluster demo 20 minutes to register their Node.</para>
/// </example>
[Cmdlet(VerbsCommon.Set, "PacketMachineHealthCheck", HelpUri = HelpLinks.Base + "Set-PacketMachineHealthCheck.md", SupportsShouldProcess = true)]
[OutputType(typeof(MachineHealthCheck))]
public sealed class SetPacketMachineHealthCheckCommand : HealthCheckSettingsCmdlet
{
    /// <summary>The cluster (taken from a piped MachineHealthCheck).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = string.Empty;

    /// <summary>The health check, with or without the &lt;cluster&gt;- prefix (pipe MachineHealthCheck objects).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(HealthCheckNameCompleter))]
    public string Name { get; set; } = string.Empty;

    protected override void ProcessRecord()
    {
        var root = StateRoot;
        var settings = Settings;
        var change = string.Join(", ", new[]
        {
            UnhealthyCondition is { } c ? "conditions " + string.Join(", ", c) : null, UnhealthyTimeout is { } t ? "timeout " + t : null,
            NodeStartupTimeout is { } s ? "node startup " + s : null, MaxUnhealthy is { } m ? "maxUnhealthy " + m : null,
        }.OfType<string>());
        if (change.Length > 0 && !ShouldProcess($"{ClusterName}/{Name}", "Set " + change)) return;
        var (cluster, name) = (ClusterName, Name);
        RunEngine(() => WriteObject(RunEngineAsync((log, ct) => MachineHealthCheckOperations.SetAsync(root, cluster, name, settings, log, ct))));
    }
}
