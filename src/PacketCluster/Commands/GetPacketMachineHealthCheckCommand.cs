using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Commands;

/// <summary>Gets the MachineHealthChecks of clusters: which machines each watches, how many are healthy, and what it remediated.</summary>
/// <remarks>
/// A MachineHealthCheck replaces a worker whose Node stays unhealthy (Ready Unknown or False past its timeout, or no Node
/// within the node startup timeout) by deleting its Machine, so the worker's MachineSet makes a new one. When more
/// machines are unhealthy than MaxUnhealthy allows, it stands still (Remediation TooManyUnhealthy): so many failing at
/// once usually share a cause (a network partition, the API server, the metro) that replacing machines would not fix.
/// Each column is a real property (Healthy, Expected, MaxUnhealthy, Remediation, Remediations, UnhealthyConditions,
/// Unhealthy, Selector, NodeStartupTimeout, ClusterName); Status.Conditions has the full messages. Read from the
/// cluster's state folder, or from the cluster it was pivoted into; needs no API connection. Get-PacketMachine's Health
/// column shows each machine's verdict.
/// </remarks>
/// <example>
/// <code>Get-PacketMachineHealthCheck -ClusterName demo</code>
/// <para>Lists the health checks of cluster demo with their healthy and expected machines.</para>
/// </example>
/// <example>
/// <code>Get-PacketMachineHealthCheck | Where-Object Remediation -ne allowed</code>
/// <para>Lists the health checks of every cluster that stand still, with the reason.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketMachineHealthCheck", HelpUri = HelpLinks.Base + "Get-PacketMachineHealthCheck.md")]
[OutputType(typeof(MachineHealthCheck))]
public sealed class GetPacketMachineHealthCheckCommand : StateCmdlet
{
    /// <summary>The cluster whose health checks to list (pipe a cluster object); every cluster when left out.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string? ClusterName { get; set; }

    /// <summary>The health check's name, with or without the &lt;cluster&gt;- prefix; wildcards are allowed.</summary>
    [Parameter(Position = 1)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(HealthCheckNameCompleter))]
    public string Name { get; set; } = "*";

    protected override void ProcessRecord() =>
        WriteClusterObjects(ClusterName, Name, MachineHealthCheckOperations.ListAsync, "MachineHealthCheckNotFound", "MachineHealthCheck", "Get-PacketMachineHealthCheck");
}
