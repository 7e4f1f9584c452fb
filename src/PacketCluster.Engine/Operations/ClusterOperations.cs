using PacketCluster.Engine.Api;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Manifests;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Store;
using PacketCluster.Models;
using PacketCluster.Models.ClusterApi;
using Public = PacketCluster.Models.Metal;

namespace PacketCluster.Engine.Operations;

/// <summary>How far New-PacketCluster takes a cluster before it returns (PRODUCT.md §4).</summary>
public enum CreateStage
{
    /// <summary>Every device provisioned (active): what the Packet API alone can show.</summary>
    Provisioned,

    /// <summary>Also: the API server answers at the endpoint, the add-ons are applied and every machine is a Ready Node.</summary>
    Ready,

    /// <summary>Also: the cluster manages itself (pivoted into the workload cluster).</summary>
    Pivoted,
}

/// <summary>How to create (or resume creating) a cluster on the embedded store.</summary>
public sealed record CreateClusterRequest
{
    /// <summary>How far to go when waiting (New-PacketCluster asks for the whole flow). Ignored with Wait.Wait = false.</summary>
    public CreateStage Until { get; init; } = CreateStage.Provisioned;

    /// <summary>
    /// The private half of an SSH key pair generated for this create (the quick form without -SshPublicKeyPath); written
    /// to the state folder (0600) under the state lock, only when the definition is recorded for the first time.
    /// </summary>
    public string? GeneratedSshPrivateKeyPem { get; init; }

    /// <summary>
    /// Record the default MachineHealthCheck for the workers with a new cluster (New-PacketCluster; -NoHealthCheck turns it
    /// off). Not when the definition brings its own.
    /// </summary>
    public bool HealthCheck { get; init; } = true;

    /// <summary>The add-ons manifest (the definition's addons.yaml); null: rendered for the session and location.</summary>
    public string? AddonsYaml { get; init; }

    /// <summary>Once Ready: the admin kubeconfig is merged into this file (kept entries untouched), or written to it (0600) with <see cref="ReplaceKubeconfig"/>. Null: none.</summary>
    public string? KubeconfigPath { get; init; }
    public bool ReplaceKubeconfig { get; init; }

    /// <summary>
    /// A kubeconfig file: record and reconcile the objects in that existing cluster (CRDs and provider components
    /// applied there) instead of the embedded store. Null: the embedded store.
    /// </summary>
    public string? BootstrapKubeconfig { get; init; }

    public required PacketClusterConfig Config { get; init; }
    /// <summary>State root (-StatePath / PACKETCLUSTER_HOME / ~/.packetcluster).</summary>
    public required string StateRoot { get; init; }
    /// <summary>The machine-config catalogue in force (the definition's own, else the shipped one).</summary>
    public MachineConfigCatalogue? MachineConfigs { get; init; }
    /// <summary>
    /// Wait = false: store the objects and reconcile twice (devices requested) without waiting for them. PollInterval is
    /// the longest pause between reconcile passes (and the device-list age), so progress is seen promptly.
    /// </summary>
    public ChangeWait Wait { get; init; } = ChangeWait.Default;
}

/// <summary>
/// Create, resume and delete a cluster on the embedded FileStore (PRODUCT.md §4). Running Create again after an
/// interruption resumes: the stored objects are kept and the reconcilers adopt what exists (devices by tag).
/// </summary>
public static class ClusterOperations
{
    public const string DefaultNamespace = "default";
    internal const string Activity = "PacketCluster";

    public static async Task<Cluster> CreateAsync(CreateClusterRequest request, PacketSession session, IEngineLog log, CancellationToken ct)
    {
        var config = request.Config;
        var name = config.Name;
        log.Report(new EngineProgress(Activity, "Preflight", $"checking {name} against the catalogue"));
        await Preflight.CheckAsync(config, session, log, ct).ConfigureAwait(false);

        var directory = StateLocation.ClusterDirectory(request.StateRoot, name);
        var ns = config.Cluster.Metadata.Namespace ?? DefaultNamespace;
        if (request.BootstrapKubeconfig is { } bootstrapPath)
            return await CreateInBootstrapClusterAsync(request, bootstrapPath, directory, ns, session, log, ct).ConfigureAwait(false);
        if (StateLocation.IsPivoted(directory))
        {
            // Created and handed over to its own manager already: nothing to resume here.
            log.Verbose($"Cluster '{name}' was created and pivoted; it is managed where {StateLocation.ManagementKubeconfig(directory)} points.");
            return await ClusterQueries.GetClusterAsync(request.StateRoot, name, ct).ConfigureAwait(false);
        }
        await using var store = FileStore.Open(directory);
        return await CreateInStoreAsync(request, store, directory, ns, reconcile: true, session, log, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// -BootstrapKubeconfig: the objects live in an existing cluster. This command reconciles them while it holds the
    /// manager's Lease there; when a manager in that cluster already leads, that manager does the work and this only waits.
    /// </summary>
    private static async Task<Cluster> CreateInBootstrapClusterAsync(CreateClusterRequest request, string bootstrapPath, string directory, string ns,
        PacketSession session, IEngineLog log, CancellationToken ct)
    {
        var name = request.Config.Name;
        if (FileStore.Exists(directory) && FileStore.HoldsCluster(directory))
            throw new PacketClusterException("ClusterExists", ErrorKind.ResourceExists,
                $"Cluster '{name}' is already being created in the embedded store {directory}. Run New-PacketCluster without -BootstrapKubeconfig to resume it, or Remove-PacketCluster it first.",
                "Run New-PacketCluster without -BootstrapKubeconfig to resume it, or remove it with Remove-PacketCluster first.", name);
        if (await BootstrapCluster.PointsElsewhereAsync(directory, bootstrapPath, ct).ConfigureAwait(false))
        {
            log.Verbose($"Cluster '{name}' is managed where {StateLocation.ManagementKubeconfig(directory)} points (pivoted already).");
            return await ClusterQueries.GetClusterAsync(request.StateRoot, name, ct).ConfigureAwait(false);
        }
        using var store = await BootstrapCluster.ConnectAsync(bootstrapPath, ct).ConfigureAwait(false);
        await BootstrapCluster.PrepareAsync(store, ns, PivotOperation.ProviderComponentsFor(name, session), log, ct).ConfigureAwait(false);
        await BootstrapCluster.RecordAsync(directory, bootstrapPath, ct).ConfigureAwait(false);
        await using var lease = await ManagerLease.TryAcquireAsync(store.Client, BootstrapCluster.LeaseOptions, BootstrapCluster.CommandIdentity(name), log, ct)
            .ConfigureAwait(false);
        if (lease is null) log.Report(new EngineProgress(Activity, "Bootstrap", "a manager in the bootstrap cluster reconciles; waiting for it"));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, lease?.Lost ?? CancellationToken.None);
        try
        {
            return await CreateInStoreAsync(request, store, "the bootstrap cluster", ns, reconcile: lease is not null, session, log, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested && lease is not null)
        {
            throw new PacketClusterException("ManagerLeaseLost", ErrorKind.ConnectionError,
                $"Lost the manager's Lease in the bootstrap cluster while creating '{name}' (its API server did not answer in time, or another manager took it), so this command stopped reconciling. Run it again to resume.",
                "Check that the bootstrap cluster's API server answers, then run New-PacketCluster again to resume.", name);
        }
    }

    /// <summary>
    /// What the cluster named in a definition may call its own in the project, from where it is recorded (the state
    /// folder, or the bootstrap cluster); <see cref="ClusterClaim.New"/> when it is recorded nowhere. Null when it was
    /// pivoted: it is managed elsewhere and creating it again makes nothing.
    /// </summary>
    public static async Task<ClusterClaim?> ClaimAsync(string stateRoot, string name, string ns, string? bootstrapKubeconfig, CancellationToken ct)
    {
        var directory = StateLocation.ClusterDirectory(stateRoot, name);
        if (StateLocation.IsPivoted(directory)) return null;
        if (FileStore.Exists(directory) && FileStore.HoldsCluster(directory))
        {
            await using var store = FileStore.Open(directory);
            return await ClusterClaim.FromStoreAsync(store, ns, name, ct).ConfigureAwait(false);
        }
        if (bootstrapKubeconfig is not null)
        {
            using var store = await BootstrapCluster.ConnectAsync(bootstrapKubeconfig, ct).ConfigureAwait(false);
            return await ClusterClaim.FromStoreAsync(store, ns, name, ct).ConfigureAwait(false);
        }
        return ClusterClaim.New(name);
    }

    private static async Task<Cluster> CreateInStoreAsync(CreateClusterRequest request, IStateStore store, string where, string ns, bool reconcile,
        PacketSession session, IEngineLog log, CancellationToken ct)
    {
        var config = request.Config;
        var name = config.Name;
        var recorded = await store.GetAsync<Cluster>(ns, name, ct).ConfigureAwait(false);
        // Under the state lock (or the manager's Lease): nothing else records this cluster between the check and the create.
        using (var checkClient = session.CreateClient(log))
        {
            var claim = recorded is null ? ClusterClaim.New(name) : await ClusterClaim.OfAsync(store, recorded, ct).ConfigureAwait(false);
            await claim.EnsureNameFreeAsync(checkClient, session.RequireProjectId(), ct).ConfigureAwait(false);
        }
        if (recorded is null)
        {
            if (request.GeneratedSshPrivateKeyPem is { } privateKey)
            {
                // Before the definition, in the same hold: the key on disk is the one the recorded machines carry.
                var keyPath = await SaveGeneratedSshKeyAsync(StateLocation.ClusterDirectory(request.StateRoot, name), privateKey, log, ct).ConfigureAwait(false);
                log.Verbose($"The machines accept the generated SSH key {keyPath}.");
            }
            log.Report(new EngineProgress(Activity, "Store", $"recording the definition in {where}"));
            await StoreDefinitionAsync(store, config, ns, ct).ConfigureAwait(false);
            if (request.HealthCheck && !config.MachineHealthChecks.Any())
            {
                // Every worker, whatever pool it is in later (node pools label their machines the same way).
                var check = await store.CreateAsync(HealthCheckRules.Default(name, ns), ct).ConfigureAwait(false);
                log.Verbose($"MachineHealthCheck {check.Name}: workers whose Node is not Ready for {HealthCheckRules.FormatDuration(HealthCheckRules.DefaultConditionTimeout)} are replaced (-NoHealthCheck: none).");
            }
        }
        else
        {
            log.Verbose($"Cluster '{name}' is already in {where}: resuming, adopting what exists.");
            if (request.GeneratedSshPrivateKeyPem is not null)
                log.Verbose($"Its machines keep the SSH key generated when it was first created; this run's key is not used.");
            // The recorded objects are what the reconcilers make: wait for their machines and render the add-ons for
            // their location, not for defaults the request left unsaid (New-PacketCluster refused real differences).
            config = await DefinitionDrift.RecordedAsync(store, ns, name, ct).ConfigureAwait(false) ?? config;
        }

        var deadline = DateTimeOffset.UtcNow + request.Wait.Timeout;
        using var client = session.CreateClient(log);
        using var context = ClusterReconcileContext.Create(store, client, session.RequireProjectId(), log, machineConfigs: request.MachineConfigs,
            inventoryMaxAge: request.Wait.PollInterval);
        var loop = new ClusterReconcileLoop(context, ns, name, request.Wait.Concurrency);
        var expected = DefinitionDrift.ExpectedMachineCount(config);
        if (!request.Wait.Wait)
        {
            if (!reconcile) return (await store.GetAsync<Cluster>(ns, name, ct).ConfigureAwait(false))!;
            // Twice: the first pass makes PKI and the endpoint, the second creates every device (§4: all at once).
            await loop.RunOnceAsync(ct).ConfigureAwait(false);
            await loop.RunOnceAsync(ct).ConfigureAwait(false);
            return (await store.GetAsync<Cluster>(ns, name, ct).ConfigureAwait(false))!;
        }
        await loop.RunUntilAsync(s => Settled(s, expected), Remaining(deadline), request.Wait.PollInterval,
            s => log.Report(Progress(s, expected)), ct, reconcile).ConfigureAwait(false);
        if (request.Until == CreateStage.Provisioned) return (await store.GetAsync<Cluster>(ns, name, ct).ConfigureAwait(false))!;

        var kubeconfig = (await ClusterQueries.AdminKubeconfigAsync(store, ns, name, ct).ConfigureAwait(false))!;
        using var workload = KubernetesStore.FromKubeconfigText(kubeconfig);
        await WorkloadApi.WaitUntilAnsweringAsync(workload.Client, name, deadline, request.Wait.PollInterval, log, ct).ConfigureAwait(false);
        log.Report(new EngineProgress(Activity, "Add-ons", "applying the add-ons"));
        var addons = request.AddonsYaml ?? Addons.Render(new AddonsOptions
        {
            ClusterName = name, ProjectId = session.RequireProjectId(), ApiKey = session.Options.ApiKey, Metro = config.Metro, Facility = config.Metro is null ? config.Facility : null,
            ApiUrl = session.Options.Endpoint == PacketApiOptions.DefaultEndpoint ? null : session.Options.Endpoint.ToString(),
        });
        var applied = await new ManifestApplier(workload.Client).ApplyAsync(addons, "addons", ct).ConfigureAwait(false);
        log.Verbose($"Applied {applied.Count} add-on objects to cluster '{name}'.");
        // Nodes change in the workload cluster, not in the Packet API: a watch ends each wait as soon as one does, and
        // the next pass lists the Nodes again (the device list stays as old as the poll interval allows).
        await using var nodeChanges = NodeChanges.Start(workload.Client, ct);
        await loop.RunUntilAsync(s => NodesReady(s, expected), Remaining(deadline), request.Wait.PollInterval,
            s => log.Report(NodeProgress(s, expected)), ct, reconcile, pause: async (wait, token) =>
            {
                await nodeChanges.WaitAsync(wait, token).ConfigureAwait(false);
                context.Nodes.Forget(ns, name);
            }).ConfigureAwait(false);
        return (await store.GetAsync<Cluster>(ns, name, ct).ConfigureAwait(false))!;
    }

    /// <summary>
    /// The whole create (PRODUCT.md §4): <see cref="CreateAsync"/> until every machine is a Ready Node, then — unless
    /// <see cref="CreateClusterRequest.Until"/> stops earlier — the pivot into the workload cluster itself.
    /// </summary>
    public static async Task<Cluster> CreateAndPivotAsync(CreateClusterRequest request, PacketSession session, IEngineLog log, CancellationToken ct)
    {
        var until = request.Wait.Wait ? request.Until : CreateStage.Provisioned;
        var cluster = await CreateAsync(request with { Until = until == CreateStage.Pivoted ? CreateStage.Ready : until }, session, log, ct).ConfigureAwait(false);
        if (until == CreateStage.Pivoted && request.BootstrapKubeconfig is { } bootstrap)
        {
            log.Report(new EngineProgress(Activity, "Pivot", $"moving {cluster.Name}'s management from the bootstrap cluster into the cluster itself"));
            await PivotOperation.PivotFromBootstrapAsync(request.StateRoot, cluster.Name, bootstrap, session, log, ct).ConfigureAwait(false);
            cluster = await ClusterQueries.GetClusterAsync(request.StateRoot, cluster.Name, ct).ConfigureAwait(false);
        }
        else if (until == CreateStage.Pivoted && !StateLocation.IsPivoted(StateLocation.ClusterDirectory(request.StateRoot, cluster.Name)))
        {
            log.Report(new EngineProgress(Activity, "Pivot", $"moving {cluster.Name}'s management into the cluster itself"));
            await PivotOperation.PivotEmbeddedAsync(request.StateRoot, cluster.Name, null, session, log, planOnly: false, ct).ConfigureAwait(false);
            cluster = await ClusterQueries.GetClusterAsync(request.StateRoot, cluster.Name, ct).ConfigureAwait(false);
        }
        // Minted once: the wait for the cluster's own manager and the kubeconfig written for the user use the same one.
        string? admin = null;
        if (until == CreateStage.Pivoted)
        {
            admin = await ClusterQueries.AdminKubeconfigAsync(request.StateRoot, cluster.Name, ct).ConfigureAwait(false);
            await WaitForSelfManagementWithAsync(admin, cluster.Name, request.Wait, log, ct).ConfigureAwait(false);
        }
        if (until != CreateStage.Provisioned && request.KubeconfigPath is { } path)
        {
            var kubeconfig = admin ?? await ClusterQueries.AdminKubeconfigAsync(request.StateRoot, cluster.Name, ct).ConfigureAwait(false);
            if (request.ReplaceKubeconfig) await KubeconfigFile.WriteAsync(path, kubeconfig, ct).ConfigureAwait(false);
            else await KubeconfigFile.MergeIntoAsync(path, kubeconfig, ct).ConfigureAwait(false);
            log.Verbose($"Kubeconfig for cluster '{cluster.Name}' {(request.ReplaceKubeconfig ? "written to" : "merged into")} {path}.");
        }
        return cluster;
    }

    /// <summary>Wait-PacketCluster's targets besides a Cluster condition type.</summary>
    public const string WaitReady = "Ready", WaitProvisioned = "Provisioned";

    /// <summary>
    /// Waits until the cluster is <see cref="WaitReady"/> (every machine a Ready Node), <see cref="WaitProvisioned"/>
    /// (every machine's device provisioned, the endpoint reserved) or the Cluster condition <paramref name="until"/> is
    /// True. A cluster kept in the state folder is reconciled meanwhile, as every day-2 command does (nothing else acts on
    /// it); a pivoted one is only watched while its manager works. Ready on a state-folder cluster whose create stopped
    /// early (-NoWait, a timeout, Ctrl+C) finishes that create as New-PacketCluster's resume does — the recorded
    /// definition, the add-ons once the API server answers — up to Ready, without the pivot.
    /// </summary>
    public static async Task<Cluster> WaitAsync(string stateRoot, string name, string until, PacketSession session, IEngineLog log, ChangeWait wait, CancellationToken ct)
    {
        PacketClusterConfig? resume = null;
        await using (var probe = MachineOperations.Open(stateRoot, name))
        {
            var cluster = await probe.GetAsync<Cluster>(DefaultNamespace, name, ct).ConfigureAwait(false)
                ?? throw new PacketClusterException("ClusterNotFound", ErrorKind.ObjectNotFound, $"Cluster '{name}' has no Cluster object in its store.",
                    "Get-PacketCluster lists the clusters; run New-PacketCluster again to resume one that was interrupted.", name);
            if (cluster.Metadata.DeletionTimestamp is not null)
                throw new PacketClusterException("ClusterDeleting", ErrorKind.InvalidOperation, $"Cluster '{name}' is being deleted: it will not become {until}.",
                    "Wait for Remove-PacketCluster to finish instead.", name);
            // The state folder's store holds it (not pivoted): Ready goes through the create's own steps, which are idempotent.
            if (until == WaitReady && probe is not KubernetesStore)
                resume = await DefinitionDrift.RecordedAsync(probe, DefaultNamespace, name, ct).ConfigureAwait(false);
        }
        if (resume is not null)
            return await CreateAsync(new CreateClusterRequest { Config = resume, StateRoot = stateRoot, Until = CreateStage.Ready, Wait = wait with { Wait = true } },
                session, log, ct).ConfigureAwait(false);

        await using var store = MachineOperations.Open(stateRoot, name);
        var config = await DefinitionDrift.RecordedAsync(store, DefaultNamespace, name, ct).ConfigureAwait(false);
        var expected = config is null ? 0 : DefinitionDrift.ExpectedMachineCount(config);
        // The elastic IP's health is watched only where it can fail over: waiting for it elsewhere would only time out.
        if (until == Controllers.Conditions.EndpointHealthy && config is not null && config.ControlPlaneCount <= 1)
            throw new PacketClusterException("ConditionNotReported", ErrorKind.InvalidArgument,
                $"Cluster '{name}' has one control plane: {until} is reported for highly available control planes only (the elastic IP has nowhere to move).",
                "Wait for EndpointReady or Ready instead, or add control planes first (Add-PacketMachine -Role ControlPlane).", name);
        Func<ClusterSnapshot, bool> done = until switch
        {
            WaitReady => s => NodesReady(s, expected),
            WaitProvisioned => s => Settled(s, expected),
            _ => s => Controllers.Conditions.IsTrue(s.Cluster?.Status?.Conditions, until),
        };
        Func<ClusterSnapshot, EngineProgress> progress = until switch
        {
            WaitReady => s => NodeProgress(s, expected),
            WaitProvisioned => s => Progress(s, expected),
            _ => s => new EngineProgress(Activity, until, s.Cluster?.Status?.Conditions?.FirstOrDefault(c => c.Type == until) is { } c
                ? $"{until} is {c.Status}{(string.IsNullOrEmpty(c.Reason) ? "" : " (" + c.Reason + ")")}: {s.Describe()}" : $"{until} not reported yet: {s.Describe()}"),
        };
        await MachineOperations.SettleAsync(store, session, name, log, wait with { Wait = true }, done, ct, progress).ConfigureAwait(false);
        return (await store.GetAsync<Cluster>(DefaultNamespace, name, ct).ConfigureAwait(false))!;
    }

    /// <summary>The longest New-PacketCluster waits after the pivot for the cluster's own manager pod to take the Lease.</summary>
    private static readonly TimeSpan SelfManagementTimeout = TimeSpan.FromMinutes(5);

    /// <summary>
    /// After a pivot the cluster is done only once it manages itself: a pod of its manager Deployment holds the Lease.
    /// Bounded; a manager that cannot run ends the wait early with a warning instead of an error, since the cluster
    /// itself is made and Start-PacketClusterManager can manage it meanwhile.
    /// </summary>
    /// <summary>
    /// After a pivot into the cluster itself (New-PacketCluster, Invoke-PacketPivot): until a pod of its manager
    /// Deployment holds the Lease, at most <see cref="SelfManagementTimeout"/>; a manager that cannot run ends the wait
    /// early with a warning.
    /// </summary>
    public static async Task WaitForSelfManagementAsync(string stateRoot, string clusterName, ChangeWait wait, IEngineLog log, CancellationToken ct) =>
        await WaitForSelfManagementWithAsync(await ClusterQueries.AdminKubeconfigAsync(stateRoot, clusterName, ct).ConfigureAwait(false), clusterName, wait, log, ct).ConfigureAwait(false);

    private static async Task WaitForSelfManagementWithAsync(string kubeconfig, string clusterName, ChangeWait wait, IEngineLog log, CancellationToken ct)
    {
        using var target = KubernetesStore.FromKubeconfigText(kubeconfig);
        var timeout = wait.Timeout < SelfManagementTimeout ? wait.Timeout : SelfManagementTimeout;
        var poll = wait.PollInterval < TimeSpan.FromSeconds(2) ? wait.PollInterval : TimeSpan.FromSeconds(2);
        var holder = await SelfManagement.WaitForInClusterManagerAsync(target.Client, clusterName, timeout, poll, log, ct).ConfigureAwait(false);
        if (holder is not null) log.Verbose($"Cluster '{clusterName}' manages itself: {holder} holds the packetcluster-manager Lease.");
    }

    private static TimeSpan Remaining(DateTimeOffset deadline)
    {
        var left = deadline - DateTimeOffset.UtcNow;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>Every machine of the definition is Running: its Node registered and Ready.</summary>
    private static bool NodesReady(ClusterSnapshot s, int expected) =>
        Settled(s, expected) && s.Machines.Count(m => m.Status?.Phase == Phases.Running && m.Metadata.DeletionTimestamp is null) >= expected;

    private static EngineProgress NodeProgress(ClusterSnapshot s, int expected)
    {
        var running = s.Machines.Count(m => m.Status?.Phase == Phases.Running);
        return new EngineProgress(Activity, "Nodes", $"{running}/{expected} machines are Ready nodes ({s.Describe()})",
            expected == 0 ? null : Math.Min(100, running * 100 / expected));
    }

    /// <summary>Every machine of the definition has a device that finished provisioning (Provisioned or Running).</summary>
    private static bool Settled(ClusterSnapshot s, int expected)
    {
        var failed = s.Machines.Where(m => m.Status?.Phase == Phases.Failed && s.Deployments.Count == 0 && s.Sets.Count == 0).ToList();
        if (failed.Count > 0)
            throw new PacketClusterException("MachineProvisionFailed", ErrorKind.InvalidOperation,
                $"Machine {failed[0].Name} failed: {failed[0].Status?.ErrorReason} {failed[0].Status?.ErrorMessage}".Trim(),
                "Read the machine's error (Get-PacketMachine), fix its cause (plan, metro, capacity), then run the command again.", failed[0].Name);
        var ready = s.Machines.Count(m => m.Status?.Phase is Phases.Provisioned or Phases.Running && m.Metadata.DeletionTimestamp is null);
        return s.Cluster?.Status?.ApiEndpoints is { Count: > 0 } && ready >= expected;
    }

    private static EngineProgress Progress(ClusterSnapshot s, int expected)
    {
        var ready = s.Machines.Count(m => m.Status?.Phase is Phases.Provisioned or Phases.Running);
        var phase = s.Cluster?.Status?.ApiEndpoints is not { Count: > 0 } ? "Endpoint" : ready < expected ? "Provisioning" : "Ready";
        return new EngineProgress(Activity, phase, $"{ready}/{expected} machines provisioned ({s.Describe()})",
            expected == 0 ? null : Math.Min(100, ready * 100 / expected));
    }

    /// <summary>
    /// Keeps a generated SSH private key in the cluster's state folder (0600). Called only while the caller holds the
    /// cluster (the state lock or the manager's Lease) and is about to record its definition for the first time, so no
    /// device can carry another key from this folder yet: a file already there is one an interrupted run left before
    /// recording anything, and the atomic write (temp + rename) replaces it. A recorded cluster's key is never written.
    /// </summary>
    internal static async Task<string> SaveGeneratedSshKeyAsync(string directory, string privateKeyPem, IEngineLog log, CancellationToken ct)
    {
        if (!Directory.Exists(directory)) AtomicFile.CreatePrivateDirectory(directory);
        var path = Path.Combine(directory, ClusterConfigGenerator.SshKeyFileName);
        if (File.Exists(path)) log.Verbose($"Replacing {path}: no recorded cluster uses it.");
        await AtomicFile.WriteAsync(path, privateKeyPem, ct).ConfigureAwait(false);
        return path;
    }

    /// <summary>Writes a definition's objects into a store (copies: the caller's objects stay untouched), without reconciling.</summary>
    public static async Task StoreDefinitionAsync(IStateStore store, PacketClusterConfig config, string ns, CancellationToken ct)
    {
        // Copies through the codec: the caller's objects stay untouched.
        T Copy<T>(T value) where T : class => ResourceCodec.FromJson<T>(ResourceCodec.ToJson(value));
        var cluster = Copy(config.Cluster);
        cluster.Metadata.Namespace = ns;
        cluster.Status = null;
        // A new identity, whatever the file says: a definition copied from another cluster must not inherit its resources.
        (cluster.Metadata.Annotations ??= new Dictionary<string, string>())[ClusterIdentity.UidAnnotation] = ClusterIdentity.NewUid();
        await store.CreateAsync(cluster, ct).ConfigureAwait(false);
        foreach (var machine in config.Machines.Select(Copy))
        {
            machine.Metadata.Namespace = ns;
            machine.Status = null;
            await store.CreateAsync(machine, ct).ConfigureAwait(false);
        }
        foreach (var deployment in config.MachineDeployments.Select(Copy))
        {
            deployment.Metadata.Namespace = ns;
            await store.CreateAsync(deployment, ct).ConfigureAwait(false);
        }
        foreach (var set in config.MachineSets.Select(Copy))
        {
            set.Metadata.Namespace = ns;
            await store.CreateAsync(set, ct).ConfigureAwait(false);
        }
        foreach (var check in config.MachineHealthChecks.Select(Copy))
        {
            check.Metadata.Namespace = ns;
            check.Status = null;
            check.Spec.ClusterName ??= cluster.Name;
            // The label every object of the cluster carries: a pivot and a deletion find it by that.
            (check.Metadata.Labels ??= new Dictionary<string, string>())[ClusterValidation.ClusterNameLabel] = cluster.Name;
            await store.CreateAsync(check, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Deletes every Machine (device), the endpoint IP and the PKI, then sweeps the project for anything still tagged
    /// with the cluster's identity, and removes the state folder. Devices already gone count as deleted. Resources that
    /// carry the cluster's name but not its identity — another cluster of the same name, or ones tagged by name only
    /// (by hand, or an older version) — are listed in the report and left alone; the latter are deleted too with
    /// <paramref name="includeUntagged"/>.
    /// </summary>
    /// <param name="wait">False (-NoWait): ask for every deletion and return without waiting for the devices to be gone.</param>
    /// <param name="kubeconfigPath">A kubeconfig file New-PacketCluster merged this cluster into: its entries for this cluster (matched by CA) are removed.</param>
    public static async Task<DeleteClusterReport> DeleteAsync(string clusterName, string stateRoot, PacketSession session, IEngineLog log, TimeSpan timeout,
        TimeSpan pollInterval, CancellationToken ct, bool includeUntagged = false, bool wait = true, string? kubeconfigPath = null)
    {
        var directory = StateLocation.ClusterDirectory(stateRoot, clusterName);
        using var client = session.CreateClient(log);
        var projectId = session.RequireProjectId();
        var deadline = DateTimeOffset.UtcNow + timeout;
        // Read before anything goes: the CA is how the kubeconfig entries we merged are told from another cluster's of the same name.
        var caPem = kubeconfigPath is null ? null : await TryReadClusterCaAsync(stateRoot, clusterName, log, ct).ConfigureAwait(false);

        var managedElsewhere = false;
        ClusterClaim claim;
        var before = 0;
        async Task<int> CountDevicesAsync(ClusterClaim owner) =>
            (await NamedResource.ListAsync(client, projectId, clusterName, ct).ConfigureAwait(false))
            .Count(r => r.Kind == NamedResource.DeviceKind && owner.Deletes(r, includeUntagged));
        if (StateLocation.IsPivoted(directory))
        {
            // The objects live in a management cluster: pause its manager so it does not replace the devices the sweep
            // below deletes. When that is the cluster itself, its API server goes with the control plane and nothing
            // there is deleted one by one; a bootstrap cluster is cleaned once the devices are gone.
            (managedElsewhere, var managed) = await PauseManagedClusterAsync(directory, clusterName, log, ct).ConfigureAwait(false);
            claim = managed ?? new ClusterClaim(new ClusterIdentity(clusterName, StateLocation.ReadIdentity(directory)), new HashSet<string>(), null);
            before = await CountDevicesAsync(claim).ConfigureAwait(false);
        }
        else if (FileStore.Exists(directory))
        {
            await using var store = FileStore.Open(directory);
            var ns = DefaultNamespace;
            claim = await ClusterClaim.FromStoreAsync(store, ns, clusterName, ct).ConfigureAwait(false);
            before = await CountDevicesAsync(claim).ConfigureAwait(false);
            var selector = new Dictionary<string, string> { [ClusterValidation.ClusterNameLabel] = clusterName };
            log.Report(new EngineProgress(Activity, "Deleting", $"marking {clusterName}'s objects for deletion"));
            foreach (var d in await store.ListAsync<MachineDeployment>(ns, selector, ct).ConfigureAwait(false)) await store.DeleteAsync<MachineDeployment>(ns, d.Name, ct).ConfigureAwait(false);
            foreach (var s in await store.ListAsync<MachineSet>(ns, selector, ct).ConfigureAwait(false)) await store.DeleteAsync<MachineSet>(ns, s.Name, ct).ConfigureAwait(false);
            foreach (var m in await store.ListAsync<Machine>(ns, selector, ct).ConfigureAwait(false)) await store.DeleteAsync<Machine>(ns, m.Name, ct).ConfigureAwait(false);
            await store.DeleteAsync<Cluster>(ns, clusterName, ct).ConfigureAwait(false);

            if (wait)
            {
                using var context = ClusterReconcileContext.Create(store, client, projectId, log, inventoryMaxAge: pollInterval);
                var loop = new ClusterReconcileLoop(context, ns, clusterName);
                await loop.RunUntilAsync(s => s.Cluster is null && s.Machines.Count == 0, Remaining(deadline), pollInterval,
                    s => log.Report(new EngineProgress(Activity, "Deleting", $"{s.Machines.Count} machines left ({s.Describe()})")), ct).ConfigureAwait(false);
            }
            // -NoWait: the sweep below asks for every device's deletion directly; nothing waits for the reconcilers.
        }
        else
        {
            claim = ClusterClaim.New(clusterName);
        }

        // Sweep: anything else with the cluster's identity (a device made by an interrupted run, an orphaned IP).
        var leftovers = new List<string>();
        var leftAlone = new List<string>();
        var deleted = 0;
        var released = 0;
        foreach (var resource in await NamedResource.ListAsync(client, projectId, clusterName, ct).ConfigureAwait(false))
        {
            if (!claim.Deletes(resource, includeUntagged))
            {
                leftAlone.Add(resource.ToString());
                continue;
            }
            try
            {
                if (resource.Kind == NamedResource.DeviceKind)
                {
                    await client.DeleteDeviceAsync(resource.Id, forceDelete: false, ct).ConfigureAwait(false);
                    deleted++;
                    log.Verbose($"Deleted leftover device {resource.Label} ({resource.Id}).");
                }
                else
                {
                    // Listed before the devices above were deleted: an assignment may have gone with its device.
                    foreach (var assignment in resource.AssignmentIds)
                    {
                        try { await client.UnassignIpAsync(assignment, ct).ConfigureAwait(false); }
                        catch (PacketApiException e) when (e is PacketApiNotFoundException or PacketApiForbiddenException) { }
                    }
                    await client.DeleteIpReservationAsync(resource.Id, ct).ConfigureAwait(false);
                    released++;
                    log.Verbose($"Released leftover IP reservation {resource.Label} ({resource.Id}).");
                }
            }
            catch (PacketApiNotFoundException) { }
            catch (PacketApiForbiddenException) { }
            catch (PacketApiException ex) { leftovers.Add($"{resource}: {ex.Message}"); }
        }
        if (leftAlone.Count > 0)
            log.Warning($"Left alone {leftAlone.Count} resource(s) named for '{clusterName}' that are not this cluster's: {string.Join("; ", leftAlone)}."
                + (leftAlone.Any(r => r.EndsWith("name tag only)", StringComparison.Ordinal)) ? " Add -IncludeUntagged to delete those tagged with the name only (made by hand or an older version)." : ""));
        if (leftovers.Count == 0 && wait) await WaitUntilDevicesGoneAsync(client, projectId, clusterName, claim, includeUntagged, deadline, pollInterval, log, ct).ConfigureAwait(false);
        if (leftovers.Count == 0 && managedElsewhere) leftovers.AddRange(await ForgetInManagementClusterAsync(directory, clusterName, log, ct).ConfigureAwait(false));
        IReadOnlyList<string> forgotten = [];
        if (leftovers.Count == 0 && kubeconfigPath is not null && caPem is not null)
        {
            forgotten = await KubeconfigFile.ForgetClusterAsync(kubeconfigPath, clusterName, caPem, ct).ConfigureAwait(false);
            if (forgotten.Count > 0) log.Verbose($"Removed {string.Join(", ", forgotten)} of cluster '{clusterName}' from {kubeconfigPath}.");
        }
        if (leftovers.Count == 0 && (FileStore.Exists(directory) || StateLocation.IsPivoted(directory))) FileStore.DeleteDirectory(directory);
        else if (leftovers.Count > 0) log.Warning($"Could not remove everything of cluster '{clusterName}'; its state is kept in {directory} so Remove-PacketCluster can be run again.");
        return new DeleteClusterReport(clusterName, Math.Max(before, deleted), released, leftovers) { LeftAlone = leftAlone, KubeconfigEntriesRemoved = forgotten };
    }

    /// <summary>
    /// Deleting a device starts its deprovisioning; the cluster is gone once none of its devices is listed at all, the
    /// same wait whether the objects were in the state folder or (pivoted) in the cluster itself. Bounded by the deadline.
    /// </summary>
    private static async Task WaitUntilDevicesGoneAsync(PacketClient client, string projectId, string clusterName, ClusterClaim claim, bool includeUntagged,
        DateTimeOffset deadline, TimeSpan pollInterval, IEngineLog log, CancellationToken ct)
    {
        var tag = DeviceTags.ClusterId(clusterName);
        var total = -1;
        while (true)
        {
            var left = (await client.ListDevicesAsync(projectId, new DeviceListFilter { Tag = tag }, ct).ConfigureAwait(false))
                .Where(d => d.Tags.Contains(tag, StringComparer.Ordinal)
                    && claim.Deletes(new NamedResource(NamedResource.DeviceKind, d.Id ?? "", d.Hostname ?? "", d.Tags, []), includeUntagged))
                .ToList();
            if (total < 0) total = left.Count;
            if (left.Count == 0) return;
            log.Report(new EngineProgress(Activity, "Deprovisioning", $"{left.Count} device(s) of {clusterName} still deprovisioning",
                total == 0 ? null : Math.Min(100, (total - left.Count) * 100 / total)));
            if (DateTimeOffset.UtcNow >= deadline)
                throw new PacketClusterException("ClusterOperationTimeout", ErrorKind.OperationTimeout,
                    $"Cluster '{clusterName}': {left.Count} device(s) still deprovisioning when the timeout ran out ({string.Join(", ", left.Select(d => d.Hostname))}). " +
                    "Their deletion is requested; run Remove-PacketCluster again to wait for them (its state is kept), or pass -NoWait.",
                    $"Run Remove-PacketCluster {clusterName} again to wait for the devices (or add -NoWait, or a larger -TimeoutSeconds).", clusterName);
            var pause = deadline - DateTimeOffset.UtcNow;
            await Task.Delay(pause < pollInterval ? pause > TimeSpan.FromMilliseconds(50) ? pause : TimeSpan.FromMilliseconds(50) : pollInterval, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The cluster CA's certificate (PEM), or null when the cluster's store cannot say (no PKI yet, or it no longer answers).</summary>
    private static async Task<string?> TryReadClusterCaAsync(string stateRoot, string clusterName, IEngineLog log, CancellationToken ct)
    {
        try
        {
            return await ClusterQueries.ReadAsync(stateRoot, clusterName,
                async store => (await ClusterSecrets.ReadPkiAsync(store, DefaultNamespace, clusterName, ct).ConfigureAwait(false))?.ClusterCa.CertificatePem).ConfigureAwait(false);
        }
        catch (PacketClusterException e)
        {
            log.Verbose($"Cannot read cluster '{clusterName}''s CA ({e.Message}); its kubeconfig entries are left alone.");
            return null;
        }
    }

    /// <summary>
    /// Pauses the cluster where its objects live. Elsewhere: true when that is another cluster (a bootstrap cluster)
    /// than itself. Claim: the cluster's claim read there, null when it could not be read.
    /// </summary>
    private static async Task<(bool Elsewhere, ClusterClaim? Claim)> PauseManagedClusterAsync(string directory, string clusterName, IEngineLog log, CancellationToken ct)
    {
        try
        {
            using var store = KubernetesStore.FromKubeconfig(StateLocation.ManagementKubeconfig(directory));
            for (var attempt = 1; attempt <= 5; attempt++)
            {
                var cluster = await store.GetAsync<Cluster>(DefaultNamespace, clusterName, ct).ConfigureAwait(false);
                if (cluster is null) return (false, null);
                var claim = await ClusterClaim.OfAsync(store, cluster, ct).ConfigureAwait(false);
                var elsewhere = cluster.Status?.ApiEndpoints?.FirstOrDefault()?.Host is not { } host
                    || !string.Equals(((k8s.Kubernetes)store.Client).BaseUri.Host.Trim('[', ']'), host, StringComparison.OrdinalIgnoreCase);
                if (ClusterReconcileLoop.IsPaused(cluster)) return (elsewhere, claim);
                (cluster.Metadata.Annotations ??= new())[ClusterReconcileLoop.PausedAnnotation] = "true";
                try
                {
                    await store.UpdateAsync(cluster, ct).ConfigureAwait(false);
                    log.Verbose($"Paused cluster '{clusterName}' in its management cluster.");
                    return (elsewhere, claim);
                }
                catch (StoreConflictException) { }
            }
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException or k8s.Exceptions.KubeConfigException or IOException)
        {
            // Already unreachable (its control plane gone): nothing left that could replace devices.
            log.Warning($"Could not pause cluster '{clusterName}' in its management cluster ({e.Message}); deleting its devices anyway.");
        }
        return (false, null);
    }

    /// <summary>The objects and Secrets of a deleted cluster removed from the bootstrap cluster that managed it (its devices are gone).</summary>
    private static async Task<IReadOnlyList<string>> ForgetInManagementClusterAsync(string directory, string clusterName, IEngineLog log, CancellationToken ct)
    {
        try
        {
            using var store = KubernetesStore.FromKubeconfig(StateLocation.ManagementKubeconfig(directory));
            var removed = await PivotOperation.ForgetAsync(store, DefaultNamespace, clusterName, ct).ConfigureAwait(false);
            log.Verbose($"Removed {removed.Count} objects of cluster '{clusterName}' from its management cluster.");
            return [];
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException or StoreConflictException or IOException)
        {
            return [$"objects of cluster '{clusterName}' in its management cluster: {e.Message}"];
        }
    }
}
