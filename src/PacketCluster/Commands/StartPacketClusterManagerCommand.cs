using System.Management.Automation;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;

namespace PacketCluster.Commands;

/// <summary>Runs the cluster manager in this PowerShell session until Ctrl+C.</summary>
/// <remarks>
/// Start-PacketClusterManager runs the same loop as the in-cluster manager Deployment ("running the manager
/// locally"): it watches the Cluster API objects of a Kubernetes cluster (-Kubeconfig; by default $env:KUBECONFIG or
/// ~/.kube/config), reconciles every cluster whose objects change, that asked to be looked at again, or is due for a
/// resync, and talks to the Packet API of the connected session (Connect-PacketApi). With leader election (the
/// default) only one manager — this one or the Deployment — reconciles at a time; the others stand by and take over
/// within the lease duration. Messages go to the verbose stream; Ctrl+C stops it promptly.
/// </remarks>
/// <example>
/// <code>Start-PacketClusterManager -Kubeconfig ./demo.kubeconfig -Verbose</code>
/// <para>Manages the clusters whose objects live in the cluster demo.kubeconfig points at, showing what it does.</para>
/// </example>
/// <example>
/// <code>Start-PacketClusterManager -Kubeconfig ./mgmt.kubeconfig -Namespace team-a -NoLeaderElection</code>
/// <para>Manages namespace team-a without taking the Lease (for a cluster no other manager serves).</para>
/// </example>
[Cmdlet(VerbsLifecycle.Start, "PacketClusterManager", HelpUri = HelpLinks.Base + "Start-PacketClusterManager.md")]
[OutputType(typeof(void))]
public sealed class StartPacketClusterManagerCommand : PacketApiCmdlet
{
    /// <summary>Kubeconfig of the cluster holding the Cluster API objects. Default: $env:KUBECONFIG, else ~/.kube/config.</summary>
    [Parameter(Position = 0)]
    public string? Kubeconfig { get; set; }

    /// <summary>Namespace of the Cluster API objects (default "default").</summary>
    [Parameter]
    public string Namespace { get; set; } = ClusterOperations.DefaultNamespace;

    /// <summary>Reconcile without taking the packetcluster-manager Lease (only when no other manager serves this namespace).</summary>
    [Parameter]
    public SwitchParameter NoLeaderElection { get; set; }

    /// <summary>Namespace of the Lease (default: cluster-api-provider-packet-system, where the manager Deployment elects).</summary>
    [Parameter]
    public string? LeaseNamespace { get; set; }

    /// <summary>Longest pause before a cluster is looked at again, in seconds (default 10).</summary>
    [Parameter]
    [ValidateRange(0.05, 300)]
    public double PollIntervalSeconds { get; set; } = 10;

    /// <summary>Every cluster is reconciled at least this often, in seconds (default 60).</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public double ResyncSeconds { get; set; } = 60;

    /// <summary>How many machines of a cluster are reconciled at once (default 16).</summary>
    [Parameter]
    [ValidateRange(1, ClusterReconcileLoop.MaxConcurrency)]
    public int ThrottleLimit { get; set; } = ClusterReconcileLoop.DefaultConcurrency;

    protected override void ProcessRecord()
    {
        var path = ResolveKubeconfig();
        var session = RequireSession();
        var options = new ManagerOptions
        {
            Namespace = Namespace, LeaderElection = !NoLeaderElection, LeaseNamespace = LeaseNamespace ?? new ManagerOptions().LeaseNamespace,
            PollInterval = TimeSpan.FromSeconds(PollIntervalSeconds), ResyncInterval = TimeSpan.FromSeconds(ResyncSeconds), Concurrency = ThrottleLimit,
        };
        WriteVerbose($"Managing namespace {Namespace} of the cluster in {path}{(NoLeaderElection ? "" : $", leader election on {options.LeaseNamespace}/{options.LeaseName} as {options.Identity}")}. Ctrl+C stops.");
        RunEngineAsync(async (log, ct) =>
        {
            await using var store = KubernetesStore.FromKubeconfig(path);
            await new ClusterManager(store, session, log, options).RunAsync(ct).ConfigureAwait(false);
            return true;
        });
    }

    private string ResolveKubeconfig()
    {
        var path = Kubeconfig is not null ? GetUnresolvedProviderPathFromPSPath(Kubeconfig)
            : Environment.GetEnvironmentVariable("KUBECONFIG") is { Length: > 0 } env ? env.Split(Path.PathSeparator)[0]
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
        if (!File.Exists(path))
            ThrowTerminatingError(WithAdvice(new ErrorRecord(new FileNotFoundException($"No kubeconfig at '{path}'. Pass -Kubeconfig (Get-PacketKubeconfig -Path writes one)."),
                "KubeconfigNotFound", ErrorCategory.ObjectNotFound, path), "Pass -Kubeconfig with an existing file; Get-PacketKubeconfig -Path writes one."));
        return path;
    }
}
