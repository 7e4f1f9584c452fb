using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Commands;

/// <summary>Scales a cluster's MachineDeployment or changes its Kubernetes version.</summary>
/// <remarks>
/// -Replicas scales the workers up or down (machines that failed or are not provisioned go first). -KubernetesVersion
/// changes the machine template; the machines are then replaced one at a time (maxSurge 1, maxUnavailable 0), so
/// capacity never drops. The version must have an entry in the machine-config catalogue, or nothing changes.
/// </remarks>
/// <example>
/// <code>Set-PacketMachineDeployment -ClusterName demo -Replicas 3</code>
/// <para>Scales the workers of cluster demo to three.</para>
/// </example>
/// <example>
/// <code>Get-PacketMachineDeployment demo gpu | Set-PacketMachineDeployment -Replicas 0</code>
/// <para>Scales the node pool demo-gpu of cluster demo to zero; its definition stays for later.</para>
/// </example>
/// <example>
/// <code>Get-PacketCluster demo | Set-PacketMachineDeployment -KubernetesVersion 1.35.0 -NoWait</code>
/// <para>Starts rolling the workers to Kubernetes 1.35.0 and returns at once.</para>
/// </example>
[Cmdlet(VerbsCommon.Set, "PacketMachineDeployment", HelpUri = HelpLinks.Base + "Set-PacketMachineDeployment.md", SupportsShouldProcess = true)]
[OutputType(typeof(MachineDeployment))]
public sealed class SetPacketMachineDeploymentCommand : ChangeCmdlet
{
    /// <summary>The cluster (pipe a cluster object).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = string.Empty;

    /// <summary>The MachineDeployment (node pool), with or without the &lt;cluster&gt;- prefix; needed only when the cluster has more than one (taken from a piped Get-PacketMachineDeployment).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(DeploymentNameCompleter))]
    public string? DeploymentName { get; set; }

    /// <summary>The number of workers wanted.</summary>
    [Parameter]
    [ValidateRange(0, 1000)]
    public int? Replicas { get; set; }

    /// <summary>The Kubernetes version for the workers (no v), e.g. 1.35.0.</summary>
    [Parameter]
    [ValidateKubernetesVersion]
    [ArgumentCompleter(typeof(KubernetesVersionCompleter))]
    public string? KubernetesVersion { get; set; }

    protected override void ProcessRecord()
    {
        if (Replicas is null && KubernetesVersion is null)
            ThrowTerminatingError(WithAdvice(new ErrorRecord(new PSArgumentException("Give -Replicas, -KubernetesVersion or both."), "NothingToChange", ErrorCategory.InvalidArgument, ClusterName), "Give -Replicas, -KubernetesVersion or both."));
        var change = string.Join(" and ", new[] { Replicas is { } r ? $"scale to {r}" : null, KubernetesVersion is { } v ? $"roll to Kubernetes {v}" : null }.OfType<string>());
        if (!ShouldProcess($"{ClusterName}/{DeploymentName ?? "workers"}", change)) return;
        var session = RequireSession();
        var root = StateRoot;
        var (clusterName, deploymentName, replicas, version, wait) = (ClusterName, DeploymentName, Replicas, KubernetesVersion, Wait);
        RunOrStartJob($"Set-PacketMachineDeployment {clusterName}", (log, ct) => MachineOperations.SetDeploymentAsync(root, clusterName, deploymentName, replicas, version, session, log, wait, ct));
    }
}
