using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Commands;

/// <summary>Gets the node pools (MachineDeployments) of clusters.</summary>
/// <remarks>
/// Each pool shows its workers wanted and Ready, plan, operating system, Kubernetes version, location, and the labels and
/// taints its Nodes register with; every column is a real property (Replicas, ReadyReplicas, Plan, OperatingSystem,
/// KubernetesVersion, Location, SpotInstance, NodeLabels, NodeTaints, ClusterName), so Where-Object and Sort-Object work.
/// Read from the cluster's state folder, or from the cluster it was pivoted into. Needs no API connection. Without
/// -ClusterName every cluster in the state folder is listed. -Name takes wildcards and matches the MachineDeployment's
/// name with or without the &lt;cluster&gt;- prefix.
/// </remarks>
/// <example>
/// <code>Get-PacketMachineDeployment -ClusterName demo</code>
/// <para>Lists the node pools of cluster demo.</para>
/// </example>
/// <example>
/// <code>Get-PacketMachineDeployment | Where-Object ReadyReplicas -lt Replicas</code>
/// <para>Lists the pools of every cluster that have workers not Ready yet.</para>
/// </example>
/// <example>
/// <code>Get-PacketMachineDeployment demo gpu* | Remove-PacketMachineDeployment -Force</code>
/// <para>Removes the pools of cluster demo whose names start with gpu.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketMachineDeployment", HelpUri = HelpLinks.Base + "Get-PacketMachineDeployment.md")]
[OutputType(typeof(MachineDeployment))]
public sealed class GetPacketMachineDeploymentCommand : StateCmdlet
{
    /// <summary>The cluster whose pools to list (pipe a cluster object); every cluster when left out.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string? ClusterName { get; set; }

    /// <summary>The pool's name, with or without the &lt;cluster&gt;- prefix; wildcards are allowed.</summary>
    [Parameter(Position = 1)]
    [Alias("DeploymentName")]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(DeploymentNameCompleter))]
    public string Name { get; set; } = "*";

    protected override void ProcessRecord() =>
        WriteClusterObjects(ClusterName, Name, ClusterQueries.GetDeploymentsAsync, "MachineDeploymentNotFound", "MachineDeployment", "Get-PacketMachineDeployment");
}
