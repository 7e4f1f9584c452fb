using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Commands;

/// <summary>Adds worker or control-plane machines to a cluster.</summary>
/// <remarks>
/// Workers are added by raising the replicas of the cluster's MachineDeployment (or the one named with
/// -DeploymentName). Control planes are added as standalone Machines named like the first one
/// (&lt;cluster&gt;-control-plane-N) with its plan, OS, location and versions; their userdata joins the running
/// cluster as a control plane (kubeadm join with the cluster's shared CAs and service-account keys, the CA pinned),
/// and the elastic IP stays on the first control plane. Joining a control plane needs a cloud-config machine config:
/// a seed-style shell machine config is refused before anything is created. An even resulting number of control
/// planes gets a warning, as etcd quorum prefers odd counts. The new machines are returned once provisioned.
/// </remarks>
/// <example>
/// <code>Get-PacketCluster demo | Add-PacketMachine -Role Worker -Count 2</code>
/// <para>Adds two workers to cluster demo.</para>
/// </example>
/// <example>
/// <code>Add-PacketMachine -ClusterName demo -Count 1 -NoWait</code>
/// <para>Requests one more worker and returns at once.</para>
/// </example>
/// <example>
/// <code>Add-PacketMachine -ClusterName demo -Role ControlPlane -Count 2</code>
/// <para>Adds two control planes that join cluster demo, making three with the first one.</para>
/// </example>
/// <example>
/// <code>Add-PacketMachine -ClusterName demo -Role ControlPlane -WhatIf</code>
/// <para>Shows what would be added and changes nothing.</para>
/// </example>
[Cmdlet(VerbsCommon.Add, "PacketMachine", HelpUri = HelpLinks.Base + "Add-PacketMachine.md", SupportsShouldProcess = true)]
[OutputType(typeof(Machine))]
public sealed class AddPacketMachineCommand : ChangeCmdlet
{
    /// <summary>The cluster (pipe a cluster object).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = string.Empty;

    /// <summary>Worker (default) or ControlPlane (control planes that join the running cluster).</summary>
    [Parameter]
    [ValidateSet("Worker", "ControlPlane")]
    public string Role { get; set; } = "Worker";

    /// <summary>How many machines to add (default 1).</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int Count { get; set; } = 1;

    /// <summary>The MachineDeployment (node pool) to grow; needed only when the cluster has more than one. Workers only.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(DeploymentNameCompleter))]
    public string? DeploymentName { get; set; }

    protected override void ProcessRecord()
    {
        var controlPlane = string.Equals(Role, "ControlPlane", StringComparison.OrdinalIgnoreCase);
        if (controlPlane && DeploymentName is not null)
            ThrowTerminatingError(WithAdvice(new ErrorRecord(new PSArgumentException(
                "-DeploymentName names the MachineDeployment that grows by workers; control planes are standalone Machines. Leave it out with -Role ControlPlane."),
                "DeploymentNameWithControlPlane", ErrorCategory.InvalidArgument, DeploymentName), "Leave out -DeploymentName with -Role ControlPlane."));
        if (!ShouldProcess(ClusterName, controlPlane ? $"Add {Count} control plane(s) that join the cluster" : $"Add {Count} worker(s)")) return;
        var session = RequireSession();
        var root = StateRoot;
        var (clusterName, deploymentName, count, wait) = (ClusterName, DeploymentName, Count, Wait);
        RunOrStartJob<IReadOnlyList<Machine>>($"Add-PacketMachine {clusterName}", controlPlane
            ? (log, ct) => MachineOperations.AddControlPlanesAsync(root, clusterName, count, session, log, wait, ct)
            : (log, ct) => MachineOperations.AddWorkersAsync(root, clusterName, deploymentName, count, session, log, wait, ct));
    }
}
