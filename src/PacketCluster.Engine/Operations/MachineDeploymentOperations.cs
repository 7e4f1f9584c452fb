using System.Text.RegularExpressions;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Store;
using PacketCluster.Models;
using PacketCluster.Models.ClusterApi;
using Public = PacketCluster.Models.Metal;

namespace PacketCluster.Engine.Operations;

/// <summary>What New-PacketMachineDeployment asks for: a node pool of a running cluster. Null fields take the cluster's defaults.</summary>
public sealed record NodePoolRequest
{
    public required string ClusterName { get; init; }

    /// <summary>The pool's name; the MachineDeployment is <c>&lt;cluster&gt;-&lt;name&gt;</c> unless it already starts with <c>&lt;cluster&gt;-</c>.</summary>
    public required string Name { get; init; }

    public int Replicas { get; init; } = 1;
    public string? Plan { get; init; }
    public string? OperatingSystem { get; init; }
    public string? KubernetesVersion { get; init; }
    public string? Metro { get; init; }
    public string? Facility { get; init; }
    public string? BillingCycle { get; init; }
    public bool SpotInstance { get; init; }
    public double? SpotPriceMax { get; init; }
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public IReadOnlyList<Taint> Taints { get; init; } = [];
}

/// <summary>A node pool checked against the catalogue and priced, not written yet (New-PacketMachineDeployment's -WhatIf and confirmation).</summary>
public sealed record NodePoolPlan(MachineDeployment Deployment, Public.PacketClusterPlan Plan)
{
    /// <summary>One line per device, with the hourly price.</summary>
    public string Describe()
    {
        var text = new System.Text.StringBuilder($"Create MachineDeployment {Deployment.Name} of {Deployment.Spec.Replicas ?? 1} worker(s), {Plan.TotalPricePerHour:0.00} USD/hour");
        foreach (var g in Plan.Devices.GroupBy(d => (d.Plan, d.OperatingSystem, d.Location, d.PricePerHour)))
            text.Append($"\n  {g.Count()} device(s) {g.Key.Plan} {g.Key.OperatingSystem} in {g.Key.Location} at {g.Key.PricePerHour:0.00} USD/hour each");
        if (Deployment.NodeLabels.Length > 0) text.Append($"\n  node labels {string.Join(", ", Deployment.NodeLabels)}");
        if (Deployment.NodeTaints.Length > 0) text.Append($"\n  node taints {string.Join(", ", Deployment.NodeTaints)}");
        return text.ToString();
    }
}

/// <summary>
/// Node pools: MachineDeployments besides the cluster's first worker pool, each with its own plan, OS, version,
/// location, spot settings and the labels and taints its Nodes register with (kubeadm nodeRegistration: kubelet
/// <c>--node-labels</c> and <c>taints</c>). Written to the store the cluster is managed from — its state folder, or
/// the cluster it was pivoted into — where the same reconcilers (the cmdlets', or the manager's after a pivot) make the
/// machines. Deleting a pool relies on the deployment's finalizer: its MachineSets, then their Machines and devices go.
/// </summary>
public static partial class MachineDeploymentOperations
{
    /// <summary>On a pool's MachineDeployment, MachineSets and Machines (its selector), and on its Nodes: the pool's name.</summary>
    public const string PoolLabel = MachineDeployment.PoolLabel;

    /// <summary>
    /// The longest MachineDeployment name: machine names (and hostnames, DNS labels of at most 63) add a 10-character
    /// template hash and a 5-character suffix, each after a '-'.
    /// </summary>
    public const int MaxNameLength = 46;

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123Label();

    /// <summary><c>&lt;cluster&gt;-&lt;name&gt;</c>, or the name as is when it already starts with <c>&lt;cluster&gt;-</c>.</summary>
    public static string FullName(string clusterName, string name) =>
        name.StartsWith(clusterName + "-", StringComparison.Ordinal) ? name : $"{clusterName}-{name}";

    /// <summary>
    /// Builds the pool's MachineDeployment and checks everything before anything is written: the name (rules and
    /// uniqueness), labels and taints, the version against the control plane and the machine-config catalogue, and
    /// plan, OS and location against the live catalogue (as New-PacketCluster does), with the price.
    /// </summary>
    public static async Task<NodePoolPlan> PlanAsync(string stateRoot, NodePoolRequest request, PacketSession session, IEngineLog log, CancellationToken ct)
    {
        await using var store = MachineOperations.Open(stateRoot, request.ClusterName);
        return await PlanAsync(store, request, session, log, ct).ConfigureAwait(false);
    }

    /// <summary>Plans (as <see cref="PlanAsync(string, NodePoolRequest, PacketSession, IEngineLog, CancellationToken)"/>), writes the MachineDeployment and waits until its workers are provisioned.</summary>
    public static async Task<MachineDeployment> CreateAsync(string stateRoot, NodePoolRequest request, PacketSession session, IEngineLog log, ChangeWait wait, CancellationToken ct)
    {
        await using var store = MachineOperations.Open(stateRoot, request.ClusterName);
        var planned = await PlanAsync(store, request, session, log, ct).ConfigureAwait(false);
        MachineDeployment created;
        try
        {
            created = await store.CreateAsync(planned.Deployment, ct).ConfigureAwait(false);
        }
        catch (StoreConflictException e) when (e.ErrorId == StoreConflictException.ExistsErrorId)
        {
            throw Exists(request.ClusterName, planned.Deployment.Name);
        }
        log.Verbose($"MachineDeployment {created.Name}: {created.Spec.Replicas} worker(s) of {created.Plan} ({created.OperatingSystem}, Kubernetes {created.Version}).");
        await MachineOperations.SettleAsync(store, session, request.ClusterName, log, wait, s => MachineOperations.DeploymentSettled(s, created), ct).ConfigureAwait(false);
        return await store.GetAsync<MachineDeployment>(ClusterOperations.DefaultNamespace, created.Name, ct).ConfigureAwait(false) ?? created;
    }

    /// <summary>
    /// Removes a pool: its MachineDeployment is deleted, and its finalizer deletes its MachineSets, their Machines and
    /// devices. The cluster's last MachineDeployment is refused (<c>LastMachineDeployment</c>): scale it to 0 instead,
    /// which keeps its definition, or remove the cluster.
    /// </summary>
    public static async Task RemoveAsync(string stateRoot, string clusterName, string name, PacketSession session, IEngineLog log, ChangeWait wait, CancellationToken ct)
    {
        await using var store = MachineOperations.Open(stateRoot, clusterName);
        var ns = ClusterOperations.DefaultNamespace;
        var all = await ListAsync(store, clusterName, ct).ConfigureAwait(false);
        var deployment = Find(all, clusterName, name);
        if (deployment.Metadata.DeletionTimestamp is null)
        {
            if (all.Count(d => d.Metadata.DeletionTimestamp is null) <= 1)
                throw new PacketClusterException("LastMachineDeployment", ErrorKind.InvalidOperation,
                    $"'{deployment.Name}' is the only MachineDeployment of cluster '{clusterName}'; removing it would leave the cluster without a worker pool.", $"Scale it down instead (Set-PacketMachineDeployment -ClusterName {clusterName} -DeploymentName {deployment.Name} -Replicas 0), which keeps its definition, or remove the whole cluster with Remove-PacketCluster.", deployment.Name);
            await store.DeleteAsync<MachineDeployment>(ns, deployment.Name, ct).ConfigureAwait(false);
            log.Verbose($"MachineDeployment {deployment.Name} marked for deletion: its MachineSets, machines and devices follow.");
        }
        var uid = deployment.Metadata.Uid;
        await MachineOperations.SettleAsync(store, session, clusterName, log, wait,
            s => s.Deployments.All(d => d.Metadata.Uid != uid) && !MachineOperations.MachinesOf(s, deployment).Any()
                && s.Sets.All(set => !ReplicaOwnership.IsControlledBy(set, deployment)), ct).ConfigureAwait(false);
    }

    /// <summary>The cluster's MachineDeployments, by name.</summary>
    public static async Task<IReadOnlyList<MachineDeployment>> ListAsync(IStateStore store, string clusterName, CancellationToken ct) =>
        (await store.ListAsync<MachineDeployment>(ClusterOperations.DefaultNamespace,
            new Dictionary<string, string> { [ClusterValidation.ClusterNameLabel] = clusterName }, ct).ConfigureAwait(false))
        .OrderBy(d => d.Name, StringComparer.Ordinal).ToList();

    /// <summary>The deployment called <paramref name="name"/> or <c>&lt;cluster&gt;-&lt;name&gt;</c>.</summary>
    public static MachineDeployment Find(IReadOnlyList<MachineDeployment> all, string clusterName, string name) =>
        all.FirstOrDefault(d => d.Name == name) ?? all.FirstOrDefault(d => d.Name == FullName(clusterName, name))
        ?? throw new PacketClusterException("MachineDeploymentNotFound", ErrorKind.ObjectNotFound,
            $"Cluster '{clusterName}' has no MachineDeployment '{name}'. It has: {(all.Count == 0 ? "none" : string.Join(", ", all.Select(d => d.Name)))}.", $"Get-PacketMachineDeployment -ClusterName {clusterName} lists the cluster's MachineDeployments; name one of them.", name);

    private static async Task<NodePoolPlan> PlanAsync(IStateStore store, NodePoolRequest request, PacketSession session, IEngineLog log, CancellationToken ct)
    {
        var ns = ClusterOperations.DefaultNamespace;
        var clusterName = request.ClusterName;
        var cluster = await store.GetAsync<Cluster>(ns, clusterName, ct).ConfigureAwait(false)
            ?? throw new PacketClusterException("ClusterNotFound", ErrorKind.ObjectNotFound, $"Cluster '{clusterName}' has no Cluster object in its store.", "Get-PacketCluster lists the clusters; run New-PacketCluster again to resume one that was interrupted.", clusterName);
        if (cluster.Metadata.DeletionTimestamp is not null)
            throw new PacketClusterException("ClusterDeleting", ErrorKind.InvalidOperation, $"Cluster '{clusterName}' is being deleted.", "Wait for Remove-PacketCluster to finish; a cluster being deleted takes no new pools.", clusterName);

        var name = FullName(clusterName, request.Name);
        if (name.Length > MaxNameLength || !Dns1123Label().IsMatch(name))
            throw new PacketClusterException("InvalidMachineDeploymentName", ErrorKind.InvalidArgument,
                $"'{request.Name}' cannot name a node pool: the MachineDeployment '{name}' must be lower-case letters, digits and '-', start and end with a " +
                $"letter or digit, and be at most {MaxNameLength} characters long with the cluster's name and the '-' before it (its machines' hostnames add 17 more).", "Choose a short lower-case name such as 'gpu' or 'large-2'.", request.Name);

        var deployments = await ListAsync(store, clusterName, ct).ConfigureAwait(false);
        if (deployments.Any(d => d.Name == name)) throw Exists(clusterName, name);

        var problems = NodeRegistrationRules.Problems(request.Labels, request.Taints);
        if (problems.Count > 0)
            throw new PacketClusterException("InvalidNodeRegistration", ErrorKind.InvalidArgument,
                $"The labels and taints of node pool '{name}' are not what a kubelet accepts: {string.Join(" ", problems)}", "Fix the -Label keys and values and the -Taint entries named above (a taint is key[=value]:NoSchedule|PreferNoSchedule|NoExecute).", name);
        if (request.SpotPriceMax is not null && !request.SpotInstance)
            throw new PacketClusterException("SpotPriceWithoutSpot", ErrorKind.InvalidArgument,
                $"-SpotPriceMax applies to spot instances only; node pool '{name}' is not one.", "Add -SpotInstance, or leave -SpotPriceMax out.", name);
        if (request.Metro is not null && request.Facility is not null)
            throw new PacketClusterException("MetroAndFacility", ErrorKind.InvalidArgument, $"Give -Metro or -Facility for node pool '{name}', not both.", "Leave one of -Metro and -Facility out (a metro lets Packet choose the facility).", name);

        // Defaults: the cluster's first worker pool, else its first control plane (plan, OS, version, keys, billing).
        var machines = await MachineOperations.MachinesAsync(store, clusterName, ct).ConfigureAwait(false);
        var controlPlanes = machines.Where(m => m.IsControlPlane && m.Metadata.DeletionTimestamp is null).ToList();
        var first = FirstControlPlane.Of(controlPlanes);
        var source = deployments.FirstOrDefault(d => d.Metadata.DeletionTimestamp is null && d.Spec.Template?.Spec is not null)?.Spec.Template!.Spec!
            ?? first?.Spec
            ?? throw new PacketClusterException("NoControlPlane", ErrorKind.InvalidOperation,
                $"Cluster '{clusterName}' has no control plane for node pool '{name}' to join.", "Run New-PacketCluster again to resume the cluster, or create it anew.", clusterName);
        var sourceValue = source.ProviderSpec?.Value ?? new PacketMachineProviderSpec();
        var controlPlaneVersion = first?.Spec.Versions?.ControlPlane;
        var version = request.KubernetesVersion ?? source.Versions?.Kubelet ?? controlPlaneVersion ?? string.Empty;
        MachineOperations.CheckSkew(version, controlPlaneVersion, name);

        // Where: what the user gave, else the cluster's location, else where the defaults' machines are.
        var clusterValue = cluster.Spec.ProviderSpec?.Value;
        string? metro = request.Metro, facility = request.Facility;
        if (metro is null && facility is null)
        {
            if (!string.IsNullOrEmpty(clusterValue?.Metro)) metro = clusterValue.Metro;
            else if (!string.IsNullOrEmpty(clusterValue?.Facility)) facility = clusterValue.Facility;
            else if (!string.IsNullOrEmpty(sourceValue.Metro)) metro = sourceValue.Metro;
            else facility = sourceValue.Facility?.FirstOrDefault();
        }

        var labels = new Dictionary<string, string>
        {
            [ClusterValidation.ClusterNameLabel] = clusterName,
            ["set"] = "node",
            [PoolLabel] = name,
        };
        var nodeLabels = new Dictionary<string, string>(request.Labels) { [PoolLabel] = name };
        var deployment = new MachineDeployment
        {
            Metadata = new ObjectMeta { Name = name, Namespace = ns, Labels = new(labels) },
            Spec = new MachineDeploymentSpec
            {
                Replicas = request.Replicas,
                Selector = new LabelSelector { MatchLabels = new(labels) },
                Template = new MachineTemplateSpec
                {
                    Metadata = new ObjectMeta { Labels = new(labels) },
                    Spec = new MachineSpec
                    {
                        // Given to every replica's Node by its kubelet (userdata), so pods can select and tolerate the pool.
                        Metadata = new ObjectMeta { Labels = nodeLabels },
                        Taints = request.Taints.Count > 0 ? request.Taints.Select(t => new Taint { Key = t.Key, Value = t.Value, Effect = t.Effect }).ToList() : null,
                        Versions = new MachineVersionInfo { Kubelet = version },
                        ProviderSpec = new MachineProviderSpec
                        {
                            Value = new PacketMachineProviderSpec
                            {
                                Roles = new() { "Node" },
                                OS = request.OperatingSystem ?? sourceValue.OS,
                                Metro = metro,
                                Facility = facility is null ? null : new() { facility },
                                MachineType = request.Plan ?? sourceValue.MachineType,
                                BillingCycle = request.BillingCycle ?? sourceValue.BillingCycle,
                                ProjectID = sourceValue.ProjectID ?? clusterValue?.ProjectID,
                                SshKeys = sourceValue.SshKeys is { } keys ? new(keys) : null,
                                Tags = sourceValue.Tags is { } tags ? new(tags) : null,
                                SpotInstance = request.SpotInstance ? true : null,
                                SpotPriceMax = request.SpotPriceMax,
                            },
                        },
                    },
                },
                Strategy = new MachineDeploymentStrategy
                {
                    Type = "RollingUpdate",
                    RollingUpdate = new MachineRollingUpdateDeployment { MaxSurge = "1", MaxUnavailable = "0" },
                },
            },
        };

        // The same checks as a new cluster's pool: the definition's rules and the machine-config catalogue's exact
        // match, then plan, OS and location against the live catalogue, with capacity and price for this pool only.
        var catalogue = MachineConfigCatalogue.LoadShipped();
        var config = new PacketClusterConfig { Cluster = cluster, MachinesFile = "New-PacketMachineDeployment" };
        config.Machines.AddRange(controlPlanes);
        config.MachineDeployments.Add(deployment);
        var check = MachineConfigCheck.For(catalogue);
        var invalid = ClusterValidation.Validate(config, check).Where(p => p.Object == $"MachineDeployment/{name}").ToList();
        if (invalid.Count > 0) throw new ClusterConfigInvalidException(invalid);
        var plan = await Preflight.CheckAsync(config, session, log, ct, claim: null, onlyDeployment: name).ConfigureAwait(false);
        return new NodePoolPlan(deployment, plan);
    }

    private static PacketClusterException Exists(string clusterName, string name) =>
        new("MachineDeploymentExists", ErrorKind.ResourceExists, $"Cluster '{clusterName}' already has a MachineDeployment '{name}'.", $"Choose another name, change that pool with Set-PacketMachineDeployment -ClusterName {clusterName} -DeploymentName {name}, or remove it first with Remove-PacketMachineDeployment.", name);
}
