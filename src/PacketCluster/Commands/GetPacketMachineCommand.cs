using System.Management.Automation;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Commands;

/// <summary>Gets the machines of a cluster with their phase, device and addresses.</summary>
/// <remarks>
/// Machines of MachineDeployments and MachineSets are listed too. The Health column is what the cluster's
/// MachineHealthCheck last said of the machine: healthy, starting, or why not (UnhealthyNode, NodeStartupTimeout,
/// ConfigurationFailure, Remediating); empty when no health check watches it. Needs no API connection.
/// </remarks>
/// <example>
/// <code>Get-PacketMachine -ClusterName demo</code>
/// <para>Lists the machines of cluster demo.</para>
/// </example>
/// <example>
/// <code>Get-PacketCluster prod | Get-PacketMachine -Role ControlPlane</code>
/// <para>Lists the control planes of cluster prod with their etcd member state (Etcd) and which one holds the elastic IP (EIP).</para>
/// </example>
/// <example>
/// <code>Get-PacketCluster | Get-PacketMachine | Where-Object Phase -ne 'Running'</code>
/// <para>Lists every machine that is not running yet. Role, Phase, Version, Plan, Address and the other columns are properties of the machine: Where-Object, Sort-Object, Group-Object and Export-Csv use them.</para>
/// </example>
/// <example>
/// <code>Get-PacketMachine prod | Where-Object Health -notin 'healthy', 'starting', $null</code>
/// <para>Lists the machines of cluster prod that its health checks found unhealthy, with the reason.</para>
/// </example>
/// <example>
/// <code>Get-PacketDevice -ClusterName prod | Where-Object State -ne active | Get-PacketMachine</code>
/// <para>Lists the machines whose devices are not active: a piped device selects its own machine.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketMachine", HelpUri = HelpLinks.Base + "Get-PacketMachine.md")]
[OutputType(typeof(Machine))]
public sealed class GetPacketMachineCommand : StateCmdlet
{
    /// <summary>The cluster whose machines to list (pipe a cluster object).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(Completion.ClusterNameCompleter))]
    public string ClusterName { get; set; } = string.Empty;

    /// <summary>Machine name; wildcards are allowed. A piped device (Get-PacketDevice) gives its own, so its machine alone is listed.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(Completion.MachineNameCompleter))]
    public string MachineName { get; set; } = "*";

    /// <summary>Only control planes or only workers.</summary>
    [Parameter]
    public MachineRoleFilter? Role { get; set; }

    protected override void ProcessRecord()
    {
        var root = StateRoot;
        var pattern = WildcardPattern.Get(MachineName, WildcardOptions.IgnoreCase);
        var machines = RunEngineAsync((_, ct) => ClusterQueries.GetMachinesAsync(root, ClusterName, ct));
        WriteObject(machines.Where(m => pattern.IsMatch(m.Name))
            .Where(m => Role is null || m.Role == Role.ToString()).OrderBy(m => m.IsControlPlane ? 0 : 1).ThenBy(m => m.Name, StringComparer.Ordinal), enumerateCollection: true);
    }
}

/// <summary>The roles Get-PacketMachine -Role selects.</summary>
public enum MachineRoleFilter
{
    ControlPlane,
    Worker,
}
