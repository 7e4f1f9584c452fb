using System.Collections;
using System.Management.Automation;
using PacketCluster.Completion;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Operations;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Commands;

/// <summary>Adds a node pool (a MachineDeployment of workers) to a cluster.</summary>
/// <remarks>
/// A node pool is a MachineDeployment with its own plan, operating system, Kubernetes version, location, spot settings,
/// and the labels and taints its workers' Nodes register with. It is written where the cluster is managed from (its
/// state folder, or the cluster it was pivoted into, whose manager then makes the machines) and is named
/// &lt;cluster&gt;-&lt;Name&gt; (a name that already starts with &lt;cluster&gt;- is kept), at most 46 characters.
///
/// What is not given is taken from the cluster's first worker pool (else its control plane): plan, operating system,
/// Kubernetes version, SSH keys and billing cycle; the location is the cluster's. Everything is checked before anything
/// is created, as New-PacketCluster checks a new cluster: the name (MachineDeploymentExists when taken), the labels and
/// taints (InvalidNodeRegistration: a kubelet may not set most kubernetes.io labels), the version against the control
/// plane and the machine-config catalogue, and plan, OS and location against the live catalogue with capacity. The
/// confirmation and -WhatIf show the hourly price.
///
/// Labels and taints reach the Nodes through each worker's userdata: kubeadm's nodeRegistration carries the labels as the
/// kubelet's --node-labels and the taints as nodeRegistration.taints (Get-PacketUserData shows them). Every Node of the
/// pool is also labelled packetcluster.io/machine-deployment=&lt;pool&gt;, so pods can select a pool by name.
/// </remarks>
/// <example>
/// <code>New-PacketMachineDeployment -ClusterName demo -Name large -Plan m3.large.x86 -Replicas 2 -Label @{ 'example.com/size' = 'large' } -Taint 'dedicated=large:NoSchedule'</code>
/// <para>Adds a pool of two m3.large.x86 workers whose Nodes carry the label example.com/size=large and the taint dedicated=large:NoSchedule, and waits until they are provisioned.</para>
/// </example>
/// <example>
/// <code>New-PacketMachineDeployment demo spot -SpotInstance -SpotPriceMax 0.5 -Replicas 3 -WhatIf</code>
/// <para>Shows the spot pool that would be created, with its price, and creates nothing.</para>
/// </example>
/// <example>
/// <code>Get-PacketCluster prod | New-PacketMachineDeployment -Name batch -Replicas 5 -NoWait</code>
/// <para>Records a pool of five workers like the cluster's first pool and returns at once; the cluster's manager makes them.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "PacketMachineDeployment", HelpUri = HelpLinks.Base + "New-PacketMachineDeployment.md", SupportsShouldProcess = true)]
[OutputType(typeof(MachineDeployment))]
public sealed class NewPacketMachineDeploymentCommand : ChangeCmdlet
{
    /// <summary>The cluster that gets the pool (pipe a cluster object).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ClusterNameCompleter))]
    public string ClusterName { get; set; } = string.Empty;

    /// <summary>The pool's name: lower-case letters, digits and '-'. The MachineDeployment is named &lt;cluster&gt;-&lt;Name&gt;.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [Alias("DeploymentName")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>The number of workers (default 1).</summary>
    [Parameter]
    [ValidateRange(0, 1000)]
    public int Replicas { get; set; } = 1;

    /// <summary>The workers' plan slug (default: the plan of the cluster's first worker pool).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(PlanCompleter))]
    public string? Plan { get; set; }

    /// <summary>The workers' operating system slug with a machine-config entry (default: the first worker pool's).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(ImageCompleter))]
    public string? OperatingSystem { get; set; }

    /// <summary>The workers' Kubernetes version without v (default: the first worker pool's); never newer than the control plane.</summary>
    [Parameter]
    [ValidateKubernetesVersion]
    [ArgumentCompleter(typeof(KubernetesVersionCompleter))]
    public string? KubernetesVersion { get; set; }

    /// <summary>The metro the workers run in (default: the cluster's location).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(MetroCompleter))]
    public string? Metro { get; set; }

    /// <summary>The facility the workers run in (default: the cluster's location).</summary>
    [Parameter]
    [ArgumentCompleter(typeof(FacilityCompleter))]
    public string? Facility { get; set; }

    /// <summary>Make the workers spot instances (cheaper, and reclaimable by Packet).</summary>
    [Parameter]
    public SwitchParameter SpotInstance { get; set; }

    /// <summary>The highest hourly price in USD to pay for a spot instance; needs -SpotInstance.</summary>
    [Parameter]
    [ValidateRange(0.0, 1000.0)]
    public double? SpotPriceMax { get; set; }

    /// <summary>Labels every worker's Node registers with, e.g. @{ 'example.com/pool' = 'gpu' }. A kubelet may not set most kubernetes.io and k8s.io labels.</summary>
    [Parameter]
    public Hashtable? Label { get; set; }

    /// <summary>Taints every worker's Node registers with, as key[=value]:Effect, e.g. 'dedicated=gpu:NoSchedule' (Effect: NoSchedule, PreferNoSchedule or NoExecute).</summary>
    [Parameter]
    public string[]? Taint { get; set; }

    protected override void ProcessRecord()
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Label ?? new Hashtable())
            labels[entry.Key?.ToString() ?? string.Empty] = entry.Value?.ToString() ?? string.Empty;
        var taints = new List<Taint>();
        RunEngine(() => taints.AddRange((Taint ?? []).Select(NodeRegistrationRules.ParseTaint)));
        var request = new NodePoolRequest
        {
            ClusterName = ClusterName,
            Name = Name,
            Replicas = Replicas,
            Plan = Plan,
            OperatingSystem = OperatingSystem,
            KubernetesVersion = KubernetesVersion,
            Metro = Metro,
            Facility = Facility,
            SpotInstance = SpotInstance,
            SpotPriceMax = SpotPriceMax,
            Labels = labels,
            Taints = taints,
        };
        var session = RequireSession();
        var root = StateRoot;
        var plan = RunEngineAsync((log, ct) => MachineDeploymentOperations.PlanAsync(root, request, session, log, ct));
        if (!ShouldProcess($"{ClusterName}/{plan.Deployment.Name}", plan.Describe())) return;
        var wait = Wait;
        RunOrStartJob($"New-PacketMachineDeployment {plan.Deployment.Name}", (log, ct) => MachineDeploymentOperations.CreateAsync(root, request, session, log, wait, ct));
    }
}
