using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Commands;

/// <summary>Scales a cluster's control planes or rolls them to another plan, operating system or Kubernetes version.</summary>
/// <remarks>
/// -Replicas grows or shrinks the control planes one machine at a time. An even count gets a warning: etcd needs a
/// majority, so four control planes tolerate no more failures than three. Removals never take the elastic IP's holder
/// while another will do, and each is refused with WouldLoseQuorum when the etcd members left would have no healthy
/// majority.
///
/// -Plan, -OperatingSystem and -KubernetesVersion replace the control planes one at a time, the way Cluster API's
/// KubeadmControlPlane rolls: a new control plane joins with the new spec and waits until its etcd member is healthy,
/// then an old one leaves etcd and its device is deleted. etcd never has fewer healthy members than before the roll.
/// Everything that can refuse (plan, operating system, machine config) is checked before the first machine is created.
///
/// The Machines are the wanted state; nothing else records the rollout. If it stops half way (timeout, Ctrl+C, a
/// refused removal), running the same command again continues where it stopped. -NoWait returns once the new
/// control planes of a scale-up are created; a roll and a scale-down always wait for each step, since the next one
/// depends on it (-TimeoutSeconds bounds each step).
/// </remarks>
/// <example>
/// <code>Set-PacketControlPlane -ClusterName prod -Replicas 5</code>
/// <para>Grows cluster prod to five control planes.</para>
/// </example>
/// <example>
/// <code>Get-PacketCluster prod | Set-PacketControlPlane -Plan m3.small.x86</code>
/// <para>Replaces every control plane of prod by one on plan m3.small.x86, one at a time, keeping etcd quorum.</para>
/// </example>
/// <example>
/// <code>Set-PacketControlPlane prod -Replicas 3 -WhatIf</code>
/// <para>Shows what would change and changes nothing.</para>
/// </example>
[Cmdlet(VerbsCommon.Set, "PacketControlPlane", HelpUri = HelpLinks.Base + "Set-PacketControlPlane.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(Machine))]
public sealed class SetPacketControlPlaneCommand : ChangeCmdlet
{
    /// <summary>The cluster (pipe a cluster object).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = string.Empty;

    /// <summary>The number of control planes wanted (odd numbers keep the most etcd failure tolerance).</summary>
    [Parameter]
    [ValidateRange(1, 9)]
    public int? Replicas { get; set; }

    /// <summary>The plan slug the control planes should run on.</summary>
    [Parameter]
    [ArgumentCompleter(typeof(PlanCompleter))]
    public string? Plan { get; set; }

    /// <summary>The operating system slug (it needs a machine-config entry for the control planes' versions).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ImageCompleter))]
    public string? OperatingSystem { get; set; }

    /// <summary>The Kubernetes version for the control planes (no v), e.g. 1.35.0.</summary>
    [Parameter]
    [ValidateKubernetesVersion]
    [ArgumentCompleter(typeof(KubernetesVersionCompleter))]
    public string? KubernetesVersion { get; set; }

    protected override void ProcessRecord()
    {
        var change = new ControlPlaneChange(Replicas, Plan, OperatingSystem, KubernetesVersion);
        if (Replicas is null && !change.ChangesMachines)
            ThrowTerminatingError(WithAdvice(new ErrorRecord(new PSArgumentException("Give -Replicas, -Plan, -OperatingSystem or -KubernetesVersion."),
                "NothingToChange", ErrorCategory.InvalidArgument, ClusterName), "Give at least one of -Replicas, -Plan, -OperatingSystem or -KubernetesVersion."));
        var what = string.Join(" and ", new[]
        {
            Replicas is { } r ? $"scale the control planes to {r}" : null,
            change.ChangesMachines ? "replace every control plane that differs, one at a time, with one on " +
                string.Join(", ", new[] { Plan is null ? null : $"plan {Plan}", OperatingSystem is null ? null : $"OS {OperatingSystem}", KubernetesVersion is null ? null : $"Kubernetes {KubernetesVersion}" }.OfType<string>())
                : null,
        }.OfType<string>());
        if (!ShouldProcess(ClusterName, what)) return;
        var session = RequireSession();
        var root = StateRoot;
        var (clusterName, wait) = (ClusterName, Wait);
        RunOrStartJob($"Set-PacketControlPlane {clusterName}", (log, ct) => ControlPlaneOperations.SetAsync(root, clusterName, change, session, log, wait, ct));
    }
}
