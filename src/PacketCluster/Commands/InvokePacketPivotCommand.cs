using System.Management.Automation;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;
using PacketCluster.Models;

namespace PacketCluster.Commands;

/// <summary>Moves a cluster's management (its Cluster API objects and Secrets) into a Kubernetes cluster.</summary>
/// <remarks>
/// Invoke-PacketPivot applies the CRDs and provider components (with the connected session's API credentials) to the
/// target, pauses the cluster in the source, copies the Cluster, MachineDeployments, MachineSets, Machines (with status
/// and identity) and their Secrets with owner references remapped, verifies them, and removes them from the source
/// without deleting anything: no device is touched. By default the target is the workload cluster itself, reached with
/// an admin kubeconfig minted from its CA; afterwards the cluster's state folder keeps only that kubeconfig, and every
/// cmdlet (Get-PacketCluster, Add-PacketMachine, Remove-PacketCluster, …) works through it. It is idempotent: run it
/// again after a failure and it completes. -WhatIf lists the objects it would move. Into the cluster itself, it returns
/// once the cluster's own manager pod holds the packetcluster-manager Lease (at most five minutes; a manager that cannot
/// run is a warning), and the result's ManagedBy names that pod.
/// </remarks>
/// <example>
/// <code>Invoke-PacketPivot demo</code>
/// <para>Moves cluster demo's management from the local state folder into the demo cluster itself.</para>
/// </example>
/// <example>
/// <code>Invoke-PacketPivot demo -TargetKubeconfig ./mgmt.kubeconfig -WhatIf</code>
/// <para>Lists the objects that would move to the cluster mgmt.kubeconfig points at.</para>
/// </example>
/// <example>
/// <code>Invoke-PacketPivot demo -SourceKubeconfig ./bootstrap.kubeconfig -TargetKubeconfig ./demo.kubeconfig</code>
/// <para>Moves the objects of cluster demo from one Kubernetes cluster to another.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "PacketPivot", HelpUri = HelpLinks.Base + "Invoke-PacketPivot.md", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = EmbeddedSet)]
[OutputType(typeof(PacketPivotResult))]
public sealed class InvokePacketPivotCommand : StateCmdlet
{
    private const string EmbeddedSet = "Embedded";
    private const string KubeconfigSet = "Kubeconfig";

    /// <summary>The cluster to pivot (pipe a cluster object).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ArgumentCompleter(typeof(Completion.ClusterNameCompleter))]
    public string ClusterName { get; set; } = string.Empty;

    /// <summary>Kubeconfig of the cluster that takes over. Default: the workload cluster itself.</summary>
    [Parameter(ParameterSetName = EmbeddedSet)]
    [Parameter(ParameterSetName = KubeconfigSet, Mandatory = true)]
    public string? TargetKubeconfig { get; set; }

    /// <summary>Kubeconfig of a cluster that holds the objects now (instead of the local state folder).</summary>
    [Parameter(ParameterSetName = KubeconfigSet, Mandatory = true)]
    public string? SourceKubeconfig { get; set; }

    /// <summary>Run as a background job; the PacketPivotResult is the job's output. -WhatIf and confirmation happen before the job starts.</summary>
    [Parameter]
    public SwitchParameter AsJob { get; set; }

    protected override void ProcessRecord()
    {
        var target = ResolveExisting(TargetKubeconfig, nameof(TargetKubeconfig));
        var source = ResolveExisting(SourceKubeconfig, nameof(SourceKubeconfig));
        var session = RequireSession();
        var name = ClusterName;
        var root = StateRoot;

        var plan = RunEngineAsync((log, ct) => source is null
            ? PivotOperation.PivotEmbeddedAsync(root, name, target, session, log, planOnly: true, ct)
            : PlanFromKubeconfigAsync(source, name, ct));
        var destination = target ?? $"cluster {name} itself";
        if (!ShouldProcess(name, $"Move {plan.Objects.Count} objects to {destination}:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", plan.Objects)}")) return;

        async Task<PacketPivotResult> Pivot(Engine.IEngineLog log, CancellationToken ct)
        {
            var report = await (source is null
                ? PivotOperation.PivotEmbeddedAsync(root, name, target, session, log, planOnly: false, ct)
                : PivotFromKubeconfigAsync(source, target!, name, PivotOperation.ProviderComponentsFor(name, session), log, ct)).ConfigureAwait(false);
            // Into the cluster itself: done once it manages itself, as after New-PacketCluster (bounded; a manager that cannot run is a warning).
            if (source is null && target is null)
                await ClusterOperations.WaitForSelfManagementAsync(root, name, ChangeWait.Default, log, ct).ConfigureAwait(false);
            return new PacketPivotResult
            {
                ClusterName = name, Target = destination, Objects = plan.Objects.ToArray(), Copied = report.Copied.ToArray(), RemovedFromSource = report.RemovedFromSource.ToArray(),
                ManagedBy = source is null ? (await ClusterQueries.ManagementAsync(root, name, ct).ConfigureAwait(false)).Description : null,
            };
        }
        if (AsJob)
        {
            StartJob($"Invoke-PacketPivot {name}", Pivot);
            return;
        }
        WriteObject(RunEngineAsync(Pivot));
    }

    private static async Task<PivotReport> PlanFromKubeconfigAsync(string source, string name, CancellationToken ct)
    {
        await using var store = KubernetesStore.FromKubeconfig(source);
        return await PivotOperation.PlanAsync(store, ClusterOperations.DefaultNamespace, name, ct);
    }

    private static async Task<PivotReport> PivotFromKubeconfigAsync(string source, string target, string name, string components, Engine.IEngineLog log, CancellationToken ct)
    {
        await using var from = KubernetesStore.FromKubeconfig(source);
        await using var to = KubernetesStore.FromKubeconfig(target);
        return await PivotOperation.RunAsync(from, ClusterOperations.DefaultNamespace, name, to, components, log, ct);
    }

    private string? ResolveExisting(string? path, string parameter)
    {
        if (path is null) return null;
        var full = GetUnresolvedProviderPathFromPSPath(path);
        if (!File.Exists(full))
            ThrowTerminatingError(WithAdvice(new ErrorRecord(new FileNotFoundException($"The kubeconfig '{full}' given to -{parameter} does not exist."),
                "KubeconfigNotFound", ErrorCategory.ObjectNotFound, path), "Check the path; Get-PacketKubeconfig -Path writes a cluster's kubeconfig."));
        return full;
    }
}
