using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Commands;

/// <summary>Creates a MachineHealthCheck: machines of a cluster whose Nodes stay unhealthy are replaced.</summary>
/// <remarks>
/// The health check watches the cluster's workers (-Role Worker, the default), one node pool (-DeploymentName), or the
/// control planes (-Role ControlPlane: replaced only when there are 3 or more, one at a time, and only while etcd keeps
/// its quorum after the member leaves; otherwise reported in Get-PacketMachine's Health column). A machine is unhealthy when its Node has had one of the
/// -UnhealthyCondition values (default Ready=Unknown and Ready=False) for longer than -UnhealthyTimeout (default 5m), when
/// it has no Node -NodeStartupTimeout (default 10m) after its device became active, or when its Node was deleted.
/// An unhealthy worker that a MachineSet owns is deleted (Node drained and deleted, device deleted) and its set makes a
/// replacement. When more machines are unhealthy than -MaxUnhealthy allows (a count, or a percentage rounded down;
/// default 40%), nothing is replaced. A machine that cannot join because of its configuration (a CA pin, an endpoint, a
/// bootstrap token) is replaced with a backoff that doubles each time. Durations are written 90s, 5m or 1h30m.
/// New-PacketCluster makes &lt;cluster&gt;-workers by default. Once a cluster is pivoted, its own manager acts on its
/// health checks; a cluster kept in a state folder is checked while a cmdlet or Start-PacketClusterManager reconciles it.
/// Needs no API connection.
/// </remarks>
/// <example>
/// <code>New-PacketMachineHealthCheck -ClusterName demo -DeploymentName gpu -UnhealthyTimeout 2m -MaxUnhealthy 1</code>
/// <para>Replaces a worker of pool demo-gpu whose Node is not Ready for 2 minutes, one at a time.</para>
/// </example>
/// <example>
/// <code>New-PacketMachineHealthCheck demo -Role ControlPlane</code>
/// <para>Replaces an unhealthy control plane of cluster demo (3 or more) while etcd keeps its quorum; reports it otherwise.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "PacketMachineHealthCheck", HelpUri = HelpLinks.Base + "New-PacketMachineHealthCheck.md", SupportsShouldProcess = true,
    DefaultParameterSetName = RoleSet)]
[OutputType(typeof(MachineHealthCheck))]
public sealed class NewPacketMachineHealthCheckCommand : HealthCheckSettingsCmdlet
{
    private const string RoleSet = "Role";
    private const string PoolSet = "Pool";

    /// <summary>The cluster (pipe a cluster object).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = string.Empty;

    /// <summary>The health check's name (prefixed with &lt;cluster&gt;-); default workers, control-plane, or the pool's name.</summary>
    [Parameter(Position = 1)]
    public string? Name { get; set; }

    /// <summary>Which machines: Worker (every worker, default) or ControlPlane (replaced only in an HA control plane, keeping etcd's quorum).</summary>
    [Parameter(ParameterSetName = RoleSet)]
    [ValidateSet(MachineRoles.Worker, MachineRoles.ControlPlane)]
    public string Role { get; set; } = MachineRoles.Worker;

    /// <summary>Only the workers of this node pool (MachineDeployment), with or without the &lt;cluster&gt;- prefix.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PoolSet)]
    [ArgumentCompleter(typeof(DeploymentNameCompleter))]
    public string DeploymentName { get; set; } = string.Empty;

    protected override void ProcessRecord()
    {
        ValidateClusterName(ClusterName, nameof(ClusterName));
        var root = StateRoot;
        var target = ParameterSetName == PoolSet ? HealthCheckTarget.Pool
            : Role == MachineRoles.ControlPlane ? HealthCheckTarget.ControlPlanes : HealthCheckTarget.Workers;
        var settings = Settings;
        var (cluster, name, pool) = (ClusterName, Name, ParameterSetName == PoolSet ? DeploymentName : null);
        RunEngine(() =>
        {
            var planned = RunEngineAsync((_, ct) => MachineHealthCheckOperations.PlanAsync(root, cluster, name, target, pool, settings, ct));
            if (!ShouldProcess($"{cluster}/{planned.Name}", $"Create MachineHealthCheck: {planned.Spec}")) return;
            WriteObject(RunEngineAsync((log, ct) => MachineHealthCheckOperations.CreateAsync(root, cluster, name, target, pool, settings, log, ct)));
        });
    }
}
