using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Commands;

/// <summary>Adds worker machines to a cluster.</summary>
/// <remarks>
/// Workers are added by raising the replicas of the cluster's MachineDeployment (or the one named with
/// -DeploymentName), and the new machines are returned once provisioned. Adding control planes to a running cluster
/// needs kubeadm's certificate upload and join of control-plane nodes, which the machine configs do not render yet, so
/// -Role ControlPlane is refused with an explanation; declare control planes up front with -ControlPlaneCount.
/// </remarks>
/// <example>
/// <code>Get-PacketCluster demo | Add-PacketMachine -Role Worker -Count 2</code>
/// <para>Adds two workers to cluster demo.</para>
/// </example>
/// <example>
/// <code>Add-PacketMachine -ClusterName demo -Count 1 -NoWait</code>
/// <para>Requests one more worker and returns at once.</para>
/// </example>
[Cmdlet(VerbsCommon.Add, "PacketMachine", SupportsShouldProcess = true)]
[OutputType(typeof(Machine))]
public sealed class AddPacketMachineCommand : ChangeCmdlet
{
    /// <summary>The cluster (pipe a cluster object).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = string.Empty;

    /// <summary>Worker (default) or ControlPlane.</summary>
    [Parameter]
    [ValidateSet("Worker", "ControlPlane")]
    public string Role { get; set; } = "Worker";

    /// <summary>How many machines to add (default 1).</summary>
    [Parameter]
    [ValidateRange(1, 1000)]
    public int Count { get; set; } = 1;

    /// <summary>The MachineDeployment to grow; needed only when the cluster has more than one.</summary>
    [Parameter]
    public string? DeploymentName { get; set; }

    protected override void ProcessRecord()
    {
        if (Role == "ControlPlane")
            ThrowTerminatingError(new ErrorRecord(new PSNotSupportedException(
                "Adding control planes to a created cluster is not supported yet: declare them up front (New-PacketCluster -ControlPlaneCount)."),
                "AddControlPlaneNotSupported", ErrorCategory.NotImplemented, ClusterName));
        if (!ShouldProcess(ClusterName, $"Add {Count} worker(s)")) return;
        var session = RequireSession();
        var root = StateRoot;
        WriteObject(RunEngineAsync((log, ct) => MachineOperations.AddWorkersAsync(root, ClusterName, DeploymentName, Count, session, log, Wait, ct)), enumerateCollection: true);
    }
}
