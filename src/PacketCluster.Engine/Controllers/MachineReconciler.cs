using PacketCluster.Engine.Api;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.ControlPlane;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Pki;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// Makes a Machine's Packet device exist, exactly once, and reports what it sees of it (PRODUCT.md §3, §4). Fixes the
/// seed's machine actuator: the uid is written before the create (the seed wrote it after, so a failed write made a
/// second device), the device id is recorded, a device already gone counts as deleted, userdata is complete at
/// create time with a per-machine token and a pinned CA, and the user's sshKeys and tags are sent.
/// <para>A device that disappears (deleted behind our back) is replaced: the Machine still asks for a device, and its
/// uid tag guarantees there is never more than one. A device that fails provisioning is not: the Machine becomes
/// Failed with errorReason CreateError, and replacing it is the MachineSet's job (delete the Machine), so a plan or
/// location that keeps failing does not burn devices in a loop.</para>
/// </summary>
public sealed class MachineReconciler
{
    public const string ProviderIdPrefix = "packet://";

    // Cluster API v1alpha1 MachineStatusError values.
    public const string CreateError = "CreateError";
    public const string InvalidConfiguration = "InvalidConfiguration";

    private readonly ClusterReconcileContext _context;
    private readonly UserdataRenderer _renderer;

    /// <summary>On the first control plane: the machines whose tokens its InitConfiguration carries (comma-separated).</summary>
    public const string InitTokensAnnotation = "packetcluster.io/init-token-machines";

    /// <summary>
    /// How long kubeadm init may take on an active device before the first control plane's Machine says its API server
    /// is overdue: a few minutes on real hardware (image pulls), well under New-PacketCluster's 30-minute timeout.
    /// </summary>
    public static TimeSpan ApiServerPatience { get; } = TimeSpan.FromMinutes(5);

    /// <summary>Long enough for a slow provisioning (Packet: minutes), short enough not to linger: kubeadm's default is 24 h.</summary>
    private static readonly TimeSpan LateTokenLifetime = TimeSpan.FromHours(2);

    public MachineReconciler(ClusterReconcileContext context)
    {
        _context = context ?? throw new ArgumentNullException(nameof(context));
        _renderer = new UserdataRenderer(context.MachineConfigs);
    }

    /// <param name="clusterMachines">
    /// The cluster's Machines as listed at the start of the caller's pass: the first control plane and the rendered init
    /// tokens are read from it instead of listing every Machine again per Machine (100 lists of 100 Machines a pass was
    /// what held a manager of 1000 machines back). Null: listed when needed.
    /// </param>
    public async Task<ReconcileResult> ReconcileAsync(string ns, string name, CancellationToken cancellationToken, IReadOnlyList<Machine>? clusterMachines = null)
    {
        var scope = await MachineScope.LoadAsync(_context, ns, name, cancellationToken).ConfigureAwait(false);
        if (scope is null) return ReconcileResult.Done;
        var steps = new Steps(scope, _renderer, _context.JoinDiagnostics, clusterMachines);
        try
        {
            return scope.IsDeleting
                ? await ReconcileSteps.RunInOrderAsync(_context.Log, scope.Machine.ToString(), cancellationToken,
                    steps.DrainNode, steps.HandOverEndpoint, steps.LeaveEtcd, steps.EnsureDeviceGone, steps.EnsureNodeGone, steps.ReleaseBootstrapToken, steps.RemoveFinalizer).ConfigureAwait(false)
                : await ReconcileSteps.RunInOrderAsync(_context.Log, scope.Machine.ToString(), cancellationToken,
                    steps.EnsureFinalizer, steps.EnsureMachineUid, steps.EnsureDevice, steps.ObserveDevice, steps.EnsureEndpointAssigned, steps.LinkNode, steps.ObserveEtcdMember).ConfigureAwait(false);
        }
        finally
        {
            scope.SetPhaseFromFacts();
            await scope.PatchStatusAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private sealed class Steps(MachineScope scope, UserdataRenderer renderer, JoinDiagnostics joinDiagnostics, IReadOnlyList<Machine>? clusterMachines)
    {
        private bool _replacingLostDevice;

        private ClusterReconcileContext Context => scope.Context;
        private DeviceInventory Inventory => scope.Context.Inventory;
        private string Target => $"Machine {scope.Namespace}/{scope.Name}";

        // ---------------------------------------------------------------- create

        public async Task<ReconcileResult> EnsureFinalizer(CancellationToken ct)
        {
            if (string.IsNullOrEmpty(scope.ClusterName))
            {
                scope.Fail(InvalidConfiguration, $"The Machine has no {ClusterValidation.ClusterNameLabel} label naming its Cluster.");
                return ReconcileResult.Done;
            }
            var finalizers = scope.Machine.Metadata.Finalizers ??= new List<string>();
            if (finalizers.Contains(Finalizers.Machine)) return ReconcileResult.Done;
            finalizers.Add(Finalizers.Machine);
            await scope.UpdateAsync(ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        /// <summary>The uid the device will be tagged with, stored before any create: a crash after the create finds the device by it.</summary>
        public async Task<ReconcileResult> EnsureMachineUid(CancellationToken ct)
        {
            if (!string.IsNullOrEmpty(scope.MachineUid)) return ReconcileResult.Done;
            var annotations = scope.Machine.Metadata.Annotations ??= new Dictionary<string, string>();
            annotations[MachineScope.MachineUidAnnotation] = Guid.NewGuid().ToString();
            await scope.UpdateAsync(ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        /// <summary>By recorded id, else by uid tag, else create — never a create without a lookup first.</summary>
        public async Task<ReconcileResult> EnsureDevice(CancellationToken ct)
        {
            // Failed is terminal for this Machine: deleting it (or a MachineSet replacing it) is the way out.
            if (!string.IsNullOrEmpty(scope.Status.ErrorReason)) return ReconcileResult.Done;
            if (scope.ClusterName is not { } clusterName || scope.MachineUid is not { } uid) return ReconcileResult.Done;

            scope.Device = await FindDeviceAsync(uid, ct).ConfigureAwait(false);
            if (scope.Device is not null)
            {
                await RecordDeviceIdAsync(scope.Device.Id!, ct).ConfigureAwait(false);
                return ReconcileResult.Done;
            }

            if (RecordedDeviceId() is { } lost)
            {
                if (scope.Machine.IsControlPlane && !await RemoveLostEtcdMemberAsync(lost, ct).ConfigureAwait(false))
                    return ReconcileResult.RequeueAfter(RequeueIntervals.ApiError);
                // Deleted behind our back (the list is fresh: we invalidated it after our own create). The Machine still
                // wants a device, so make a replacement with the same uid; the old id is forgotten.
                Context.Log.Warning($"{Target}: device {lost} is gone from the project; creating a replacement.");
                scope.SetCondition(Conditions.DeviceReady, false, "DeviceLost", $"Device {lost} disappeared; a replacement is being created.");
                scope.Machine.Spec.ProviderID = null;
                await scope.UpdateAsync(ct).ConfigureAwait(false);
                // Its InitConfiguration token may have expired since: the replacement registers one in the cluster.
                _replacingLostDevice = true;
                // The replacement registers a Node of the same name, and a Node's providerID cannot change: the old one goes.
                await TryDeleteNodeAsync(clusterName, scope.Status.NodeRef?.Name ?? scope.Name, ct).ConfigureAwait(false);
                scope.Status.NodeRef = null;
                scope.Status.ProviderStatus = null;
                scope.Status.Addresses = null;
            }

            if (scope.Cluster is null)
            {
                scope.SetCondition(Conditions.BootstrapReady, false, "WaitingForCluster", $"Cluster '{clusterName}' does not exist yet.");
                return ReconcileResult.RequeueAfter(RequeueIntervals.WaitForCluster);
            }
            if (scope.Identity.Uid is null)
            {
                // A device without the cluster's identity could later be taken for another cluster's of the same name.
                scope.SetCondition(Conditions.BootstrapReady, false, "WaitingForCluster", $"Cluster '{clusterName}' has no identity ({ClusterIdentity.UidAnnotation}) yet.");
                return ReconcileResult.RequeueAfter(RequeueIntervals.WaitForCluster);
            }
            var (request, waiting) = await BuildCreateRequestAsync(scope.Cluster, uid, ct).ConfigureAwait(false);
            if (request is null)
            {
                if (waiting is null) return ReconcileResult.Done; // failed, recorded in the status
                scope.SetCondition(Conditions.BootstrapReady, false, "WaitingForCluster", waiting);
                return ReconcileResult.RequeueAfter(RequeueIntervals.WaitForCluster);
            }
            scope.SetCondition(Conditions.BootstrapReady, true, "UserdataRendered");

            Device created;
            try
            {
                created = await Context.Packet.CreateDeviceAsync(ProjectId(), request, ct).ConfigureAwait(false);
                Inventory.Record(scope.Identity, created);
            }
            catch (PacketApiValidationException e)
            {
                // 422: the API refused this spec (plan, OS, location, capacity); retrying the same body cannot help.
                scope.Fail(CreateError, $"Creating the device was refused: {string.Join("; ", e.ApiErrors)}");
                return ReconcileResult.Done;
            }
            catch (PacketClusterException e) when (e is not PacketApiException && e.Kind == ErrorKind.InvalidArgument)
            {
                // The client's own pre-flight (no plan, no OS, no location): nothing was sent.
                scope.Fail(InvalidConfiguration, e.Message);
                return ReconcileResult.Done;
            }
            catch
            {
                // Maybe created (a dropped response): the next lookup must list again, not trust the cache.
                Inventory.Invalidate(scope.Identity);
                throw;
            }
            Context.Log.Verbose($"{Target}: created device {created.Id} ({request.Plan}, {request.Metro ?? request.Facility}).");
            scope.Device = created;
            await RecordDeviceIdAsync(created.Id!, ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        /// <summary>State, location, addresses and failure of the device, from the inventory (no per-device GET).</summary>
        public Task<ReconcileResult> ObserveDevice(CancellationToken ct)
        {
            var device = scope.Device;
            if (device is null) return Task.FromResult(string.IsNullOrEmpty(scope.Status.ErrorReason) && scope.Cluster is not null
                ? ReconcileResult.RequeueAfter(RequeueIntervals.DeviceProvisioning) : ReconcileResult.Done);

            var status = scope.ProviderStatus;
            status.DeviceID = device.Id;
            status.State = device.State;
            status.Facility = device.Facility?.Code ?? status.Facility;
            status.Metro = device.Metro?.Code ?? device.Facility?.Metro?.Code ?? status.Metro;
            status.IpAddresses = device.IpAddresses.Where(ip => ip.Address is not null).Select(ip => ip.Address!).ToList();
            var addresses = new List<MachineAddress>();
            if (device.ManagementAddress(4, isPublic: true) is { } external) addresses.Add(new MachineAddress { Type = "ExternalIP", Address = external });
            if (device.ManagementAddress(4, isPublic: false) is { } internalIp) addresses.Add(new MachineAddress { Type = "InternalIP", Address = internalIp });
            if (device.ManagementAddress(6, isPublic: true) is { } external6) addresses.Add(new MachineAddress { Type = "ExternalIP", Address = external6 });
            if (!string.IsNullOrEmpty(device.Hostname)) addresses.Add(new MachineAddress { Type = "Hostname", Address = device.Hostname });
            scope.Status.Addresses = addresses;

            switch (device.State)
            {
                case "active":
                    scope.SetCondition(Conditions.DeviceReady, true, "DeviceActive");
                    return Task.FromResult(ReconcileResult.Done);
                case "inactive" or "powering_off" or "powering_on":
                    // Powered off (by hand, or a failure of the host): its Node goes Unknown and a health check replaces it.
                    scope.SetCondition(Conditions.DeviceReady, false, "PoweredOff", $"Device {device.Id} is {device.State}.");
                    return Task.FromResult(ReconcileResult.RequeueAfter(RequeueIntervals.DeviceProvisioning));
                case "failed":
                    scope.Fail(CreateError, $"Device {device.Id} failed to provision.");
                    scope.SetCondition(Conditions.DeviceReady, false, "ProvisioningFailed", scope.Status.ErrorMessage);
                    return Task.FromResult(ReconcileResult.Done);
                default:
                    scope.SetCondition(Conditions.DeviceReady, false, "Provisioning",
                        $"Device {device.Id} is {device.State}{(device.ProvisioningPercentage is { } p ? $" ({p:0} %)" : "")}.");
                    return Task.FromResult(ReconcileResult.RequeueAfter(RequeueIntervals.DeviceProvisioning));
            }
        }

        /// <summary>
        /// The first control plane takes the cluster's elastic IP once its device is active, while no device of the cluster
        /// holds it and no other control plane runs (a new cluster). After that the address only moves by the Cluster's
        /// failover (<see cref="EndpointFailover"/>); here it is only observed, for Get-PacketMachine's EIP column.
        /// </summary>
        public async Task<ReconcileResult> EnsureEndpointAssigned(CancellationToken ct)
        {
            if (scope.Device is not { State: "active" } device || !scope.Machine.IsControlPlane || scope.Cluster is null) return ReconcileResult.Done;
            if (scope.Cluster.Status?.ApiEndpoints is not [{ Host: { Length: > 0 } endpoint }, ..]) return ReconcileResult.Done;
            if (device.IpAddresses.Any(ip => ip.Address == endpoint))
            {
                scope.SetCondition(Conditions.EndpointAssigned, true, "ElasticIpAssigned");
                return ReconcileResult.Done;
            }
            var heldElsewhere = (await Inventory.DevicesAsync(scope.Identity, ct).ConfigureAwait(false)).Any(d => d.IpAddresses.Any(ip => ip.Address == endpoint));
            if (heldElsewhere || !await IsFirstControlPlaneAsync(ct).ConfigureAwait(false) || await AnotherControlPlaneRunsAsync(ct).ConfigureAwait(false))
            {
                scope.SetCondition(Conditions.EndpointAssigned, false, "HeldByAnotherControlPlane");
                return ReconcileResult.Done;
            }
            try
            {
                var assignment = await Context.Packet.AssignIpAsync(device.Id!, endpoint, ct).ConfigureAwait(false);
                // The next look at the device must show it, so an assignment is never tried twice on stale data.
                Inventory.Record(scope.Identity, device with { IpAddresses = device.IpAddresses.Append(assignment).ToArray() });
            }
            catch (PacketApiValidationException e)
            {
                // 422, e.g. "already assigned" after a lost answer: look again at a fresh list rather than fail the Machine.
                Inventory.Invalidate(scope.Identity);
                scope.SetCondition(Conditions.EndpointAssigned, false, "AssignmentRefused", string.Join("; ", e.ApiErrors));
                return ReconcileResult.RequeueAfter(RequeueIntervals.ApiError);
            }
            catch
            {
                Inventory.Invalidate(scope.Identity);
                throw;
            }
            Context.Log.Verbose($"{Target}: elastic IP {endpoint} assigned to device {device.Id}.");
            scope.SetCondition(Conditions.EndpointAssigned, true, "ElasticIpAssigned");
            return ReconcileResult.Done;
        }

        /// <summary>
        /// What the Node's kubelet runs against what the machine asks for: a difference is a condition on the Machine and,
        /// once, a warning (an image whose packages install another version, or a userdata edited by hand).
        /// </summary>
        private void CompareKubeletVersion(Workload.WorkloadNode node)
        {
            if (node.KubeletVersion is not { Length: > 0 } reported || scope.Machine.Spec.Versions?.Kubelet is not { Length: > 0 } wanted) return;
            // v1.20.2, v1.20.2+build or v1.20.2-debian: the version is what comes before any suffix.
            var running = reported.TrimStart('v').Split('+', '-')[0];
            if (running == wanted.TrimStart('v'))
            {
                scope.SetCondition(Conditions.KubeletVersionMatches, true, "VersionMatches");
                return;
            }
            var message = $"Node {node.Name} runs kubelet {running}, not the {wanted} the machine asks for; the machine's Version is what was asked, the Node's (kubectl get nodes) what runs.";
            if (scope.Status.Conditions?.FirstOrDefault(c => c.Type == Conditions.KubeletVersionMatches)?.Reason != "VersionMismatch")
                Context.Log.Warning($"{Target}: {message}");
            scope.SetCondition(Conditions.KubeletVersionMatches, false, "VersionMismatch", message);
        }

        /// <summary>
        /// status.nodeRef from the workload cluster's Node whose providerID is this machine's, and the NodeReady condition
        /// (Running needs both). The API server not answering yet is normal while the control plane boots.
        /// </summary>
        public async Task<ReconcileResult> LinkNode(CancellationToken ct)
        {
            if (scope.Device is not { State: "active" } || scope.Cluster?.Status?.ApiEndpoints is not { Count: > 0 } || scope.ClusterName is null
                || string.IsNullOrEmpty(scope.Machine.Spec.ProviderID)) return ReconcileResult.Done;
            IReadOnlyList<Workload.WorkloadNode> nodes;
            try
            {
                nodes = await Context.Nodes.NodesAsync(scope.Namespace, scope.ClusterName, ct).ConfigureAwait(false);
            }
            catch (Workload.WorkloadClusterUnavailableException e)
            {
                var previous = scope.Status.Conditions?.FirstOrDefault(c => c.Type == Conditions.NodeReady)?.Reason;
                if (await ApiServerOverdueAsync(ct).ConfigureAwait(false) is { } overdue)
                {
                    // Said on the Machine (Get-PacketMachine's Waiting column) long before New-PacketCluster's timeout.
                    if (previous != ApiServerNotAnswering) Context.Log.Warning($"{Target}: {overdue}");
                    scope.SetCondition(Conditions.NodeReady, false, ApiServerNotAnswering, $"{overdue} ({e.Message})");
                }
                else scope.SetCondition(Conditions.NodeReady, false, "WaitingForApiServer", e.Message);
                return ReconcileResult.RequeueAfter(e.RetryAfter > RequeueIntervals.WaitForNode ? e.RetryAfter : RequeueIntervals.WaitForNode);
            }
            var node = nodes.FirstOrDefault(n => string.Equals(n.ProviderId, scope.Machine.Spec.ProviderID, StringComparison.Ordinal));
            if (node is null && scope.Status.Conditions?.FirstOrDefault(c => c.Type == Conditions.BootstrapTokenRegistered)?.Reason == PendingRegistration)
                await TryRegisterTokenAsync(scope.ClusterName, await ClusterSecrets.EnsureBootstrapTokenAsync(Context.Store, scope.Machine, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            if (node is null)
            {
                scope.Status.NodeRef = null;
                var nodeReady = scope.Status.Conditions?.FirstOrDefault(c => c.Type == Conditions.NodeReady);
                var waitingSince = nodeReady?.Status == "False" ? nodeReady.LastTransitionTime : null;
                var previousReason = nodeReady?.Reason;
                var problem = await joinDiagnostics.DiagnoseAsync(scope.Namespace, scope.ClusterName, scope.Device.Id!,
                    scope.Cluster.Status.ApiEndpoints[0], waitingSince, ct).ConfigureAwait(false);
                if (problem is null)
                {
                    scope.SetCondition(Conditions.NodeReady, false, "NodeNotRegistered",
                        $"No Node with providerID {scope.Machine.Spec.ProviderID} yet; the device's console log tells why if it never joins.");
                }
                else
                {
                    if (previousReason != problem.Reason) Context.Log.Warning($"{Target}: will not join: {problem.Message}");
                    scope.SetCondition(Conditions.NodeReady, false, problem.Reason, problem.Message);
                }
                return ReconcileResult.RequeueAfter(RequeueIntervals.WaitForNode);
            }
            joinDiagnostics.Forget(scope.Device.Id!);
            if (scope.Status.NodeRef?.Name != node.Name) Context.Log.Verbose($"{Target}: linked to Node {node.Name}.");
            if (Conditions.IsTrue(scope.Status.Conditions, Conditions.BootstrapTokenRegistered))
            {
                // Joined: the token could make any node, so it goes now rather than at its expiry.
                try
                {
                    var token = await ClusterSecrets.EnsureBootstrapTokenAsync(Context.Store, scope.Machine, ct).ConfigureAwait(false);
                    await Context.Nodes.Clusters.RevokeBootstrapTokenAsync(scope.Namespace, scope.ClusterName, token.Id, ct).ConfigureAwait(false);
                    scope.SetCondition(Conditions.BootstrapTokenRegistered, false, "RevokedAfterJoin");
                }
                catch (Workload.WorkloadClusterUnavailableException e)
                {
                    Context.Log.Verbose($"{Target}: bootstrap token not revoked yet ({e.Message}); it expires on its own.");
                }
            }
            scope.Status.NodeRef = new ObjectReference { ApiVersion = "v1", Kind = "Node", Name = node.Name, Uid = node.Uid };
            scope.SetCondition(Conditions.NodeReady, node.Ready, node.Ready ? "NodeReady" : "NodeNotReady");
            CompareKubeletVersion(node);
            if (!Conditions.IsTrue(scope.Status.Conditions, Conditions.KubeletServingApproved))
            {
                // Until approved, one CSR list per pass; afterwards none (the condition stays).
                try
                {
                    var addresses = scope.Device.IpAddresses.Select(ip => ip.Address).OfType<string>().ToList();
                    if (await Context.Nodes.Clusters.ApproveKubeletServingAsync(scope.Namespace, scope.ClusterName, node.Name, addresses, ct).ConfigureAwait(false))
                        scope.SetCondition(Conditions.KubeletServingApproved, true, "Approved");
                }
                catch (Workload.WorkloadClusterUnavailableException e)
                {
                    Context.Log.Verbose($"{Target}: kubelet serving certificate not approved yet ({e.Message}).");
                }
            }
            return node.Ready ? ReconcileResult.Done : ReconcileResult.RequeueAfter(RequeueIntervals.WaitForNode);
        }

        /// <summary>A control plane of an HA cluster reports whether its etcd member is started and healthy (Get-PacketMachine's Etcd column).</summary>
        public async Task<ReconcileResult> ObserveEtcdMember(CancellationToken ct)
        {
            if (!scope.Machine.IsControlPlane || scope.Status.NodeRef is null || scope.ClusterName is not { } clusterName) return ReconcileResult.Done;
            var self = ExternalIp();
            var others = await OtherControlPlaneHostsAsync(ct).ConfigureAwait(false);
            if (others.Count == 0 || self is null) return ReconcileResult.Done;
            using var etcd = await EtcdCluster.OpenAsync(Context.Store, scope.Namespace, clusterName, [self, .. others], ct).ConfigureAwait(false);
            if (etcd is null) return ReconcileResult.Done;
            try
            {
                var member = (await etcd.MembersAsync(ct).ConfigureAwait(false)).FirstOrDefault(m => m.Name == scope.Name || m.Host == self);
                if (member is null) scope.SetCondition(Conditions.EtcdMemberHealthy, false, "NotAMember", $"No etcd member runs on {self}.");
                else if (await etcd.IsHealthyAsync(member, ct).ConfigureAwait(false)) scope.SetCondition(Conditions.EtcdMemberHealthy, true, "Healthy", $"Member {EtcdCluster.Describe(member)}.");
                else scope.SetCondition(Conditions.EtcdMemberHealthy, false, "Unhealthy", $"Member {EtcdCluster.Describe(member)} does not answer healthy.");
            }
            catch (EtcdUnavailableException e)
            {
                scope.SetCondition(Conditions.EtcdMemberHealthy, false, "EtcdUnavailable", e.Message);
            }
            return ReconcileResult.Done;
        }

        // ---------------------------------------------------------------- delete

        /// <summary>
        /// A control plane that holds the elastic IP hands it over before it leaves etcd: the Cluster's failover moves it
        /// at once off a holder that is being deleted (<see cref="EndpointFailover"/>), and this waits for that, so the
        /// endpoint never points at a machine that is going. Bounded: after <see cref="HandOverPatience"/>, or when no
        /// other control plane is left, the removal goes on (the failover then moves it when the device is gone).
        /// </summary>
        public async Task<ReconcileResult> HandOverEndpoint(CancellationToken ct)
        {
            if (!scope.Machine.IsControlPlane || scope.Cluster is null || scope.Cluster.Metadata.DeletionTimestamp is not null) return ReconcileResult.Done;
            if (scope.Cluster.Status?.ApiEndpoints is not [{ Host: { Length: > 0 } endpoint }, ..]) return ReconcileResult.Done;
            var deviceId = RecordedDeviceId();
            if (deviceId is null) return ReconcileResult.Done;
            var device = await Inventory.FindByIdAsync(scope.Identity, deviceId, ct).ConfigureAwait(false);
            if (device is null || !device.IpAddresses.Any(ip => ip.Address == endpoint)) return ReconcileResult.Done;
            if ((await OtherControlPlaneHostsAsync(ct).ConfigureAwait(false)).Count == 0) return ReconcileResult.Done;
            if (scope.Machine.Metadata.DeletionTimestamp is { } deleting && Context.Time.GetUtcNow() - deleting > HandOverPatience)
            {
                Context.Log.Warning($"{Target}: {endpoint} was not moved to another control plane within {HandOverPatience.TotalSeconds:0} s; removing it anyway.");
                return ReconcileResult.Done;
            }
            // The list is fresh next time: the move happens in the Cluster's reconcile, not here.
            Inventory.Invalidate(scope.Identity);
            scope.SetCondition(Conditions.EndpointAssigned, true, "HandingOver", $"{endpoint} moves to another control plane before this one leaves etcd.");
            return ReconcileResult.RequeueAfter(TimeSpan.FromSeconds(2));
        }

        private static readonly TimeSpan HandOverPatience = TimeSpan.FromMinutes(2);

        /// <summary>
        /// A control plane leaves etcd before its device goes (kubeadm reset / KubeadmControlPlane do the same), so the
        /// cluster never counts a dead member against its quorum. Skipped for the last control plane and when the whole
        /// Cluster is being deleted. The cmdlets refuse a removal that would lose quorum before anything happens
        /// (<see cref="Operations.MachineOperations"/>); here a member that cannot be removed is retried, bounded by
        /// <see cref="LeaveEtcdPatience"/>, after which the device goes anyway and the next control-plane change removes it.
        /// </summary>
        public async Task<ReconcileResult> LeaveEtcd(CancellationToken ct)
        {
            if (!scope.Machine.IsControlPlane || scope.ClusterName is not { } clusterName) return ReconcileResult.Done;
            if (scope.Cluster is null || scope.Cluster.Metadata.DeletionTimestamp is not null) return ReconcileResult.Done;
            if (Conditions.IsTrue(scope.Status.Conditions, Conditions.EtcdMemberRemoved)) return ReconcileResult.Done;
            var others = await OtherControlPlaneHostsAsync(ct).ConfigureAwait(false);
            if (others.Count == 0) return ReconcileResult.Done;
            using var etcd = await EtcdCluster.OpenAsync(Context.Store, scope.Namespace, clusterName, others, ct).ConfigureAwait(false);
            if (etcd is null) return ReconcileResult.Done;
            var self = ExternalIp();
            try
            {
                var member = (await etcd.MembersAsync(ct).ConfigureAwait(false)).FirstOrDefault(m => m.Name == scope.Name || (self is not null && m.Host == self));
                if (member is not null)
                {
                    await etcd.RemoveAsync(member, ct).ConfigureAwait(false);
                    Context.Log.Verbose($"{Target}: etcd member {EtcdCluster.Describe(member)} removed before its device is deleted.");
                }
                scope.SetCondition(Conditions.EtcdMemberRemoved, true, member is null ? "NotAMember" : "Removed");
                return ReconcileResult.Done;
            }
            catch (EtcdUnavailableException e)
            {
                if (!await AnyControlPlaneJoinedAsync(ct).ConfigureAwait(false)) return ReconcileResult.Done;
                if (scope.Machine.Metadata.DeletionTimestamp is { } deleting && Context.Time.GetUtcNow() - deleting > LeaveEtcdPatience)
                {
                    Context.Log.Warning($"{Target}: leaving etcd failed for {LeaveEtcdPatience.TotalMinutes:0} minutes ({e.Message}); deleting the device anyway.");
                    return ReconcileResult.Done;
                }
                scope.SetCondition(Conditions.EtcdMemberRemoved, false, "EtcdUnavailable", e.Message);
                return ReconcileResult.RequeueAfter(RequeueIntervals.ApiError);
            }
        }

        private static readonly TimeSpan LeaveEtcdPatience = TimeSpan.FromMinutes(5);

        /// <summary>How long a deleted Machine's pods get to leave its Node before the device goes anyway (Cluster API's nodeDrainTimeout, bounded here).</summary>
        private static readonly TimeSpan DrainPatience = TimeSpan.FromMinutes(2);

        /// <summary>
        /// Before a Machine's device goes, its Node is cordoned and its pods evicted, so Deployments (this cluster's own
        /// manager among them) move their replicas first rather than after the node is found dead. Skipped when the
        /// whole cluster is being deleted; bounded by <see cref="DrainPatience"/>; a cluster whose API does not answer
        /// is not waited for.
        /// </summary>
        public async Task<ReconcileResult> DrainNode(CancellationToken ct)
        {
            if (scope.Status.NodeRef?.Name is not { } node || scope.ClusterName is not { } clusterName) return ReconcileResult.Done;
            if (scope.Cluster is null || scope.Cluster.Metadata.DeletionTimestamp is not null || Conditions.IsTrue(scope.Status.Conditions, Conditions.NodeDrained))
                return ReconcileResult.Done;
            if (scope.Machine.Metadata.DeletionTimestamp is { } deleting && Context.Time.GetUtcNow() - deleting > DrainPatience)
            {
                Context.Log.Warning($"{Target}: Node {node} still had pods after {DrainPatience.TotalSeconds:0} s of draining; removing the machine anyway.");
                scope.SetCondition(Conditions.NodeDrained, false, "DrainTimeout", $"Pods were still on Node {node} after {DrainPatience.TotalSeconds:0} s.");
                return ReconcileResult.Done;
            }
            try
            {
                var remaining = await Context.Nodes.Clusters.DrainNodeAsync(scope.Namespace, clusterName, node, ct).ConfigureAwait(false);
                if (remaining == 0)
                {
                    scope.SetCondition(Conditions.NodeDrained, true, "Drained");
                    return ReconcileResult.Done;
                }
                scope.SetCondition(Conditions.NodeDrained, false, "Draining", $"Node {node} is cordoned; {remaining} pod(s) are being evicted.");
                return ReconcileResult.RequeueAfter(RequeueIntervals.NodeDraining);
            }
            catch (Workload.WorkloadClusterUnavailableException e)
            {
                Context.Log.Verbose($"{Target}: Node {node} not drained ({e.Message}); removing the machine anyway.");
                return ReconcileResult.Done;
            }
        }

        /// <summary>
        /// Before a lost control plane's replacement joins: the dead member on its old address goes, or etcd would refuse
        /// the new one (a 4-member cluster with one dead member has no room for an unstarted fifth). False: try again.
        /// </summary>
        private async Task<bool> RemoveLostEtcdMemberAsync(string lostDeviceId, CancellationToken ct)
        {
            var oldAddress = ExternalIp();
            var others = await OtherControlPlaneHostsAsync(ct).ConfigureAwait(false);
            if (oldAddress is null || others.Count == 0 || scope.ClusterName is not { } clusterName) return true;
            using var etcd = await EtcdCluster.OpenAsync(Context.Store, scope.Namespace, clusterName, others, ct).ConfigureAwait(false);
            if (etcd is null) return true;
            try
            {
                if ((await etcd.MembersAsync(ct).ConfigureAwait(false)).FirstOrDefault(m => m.Host == oldAddress) is { } dead)
                {
                    await etcd.RemoveAsync(dead, ct).ConfigureAwait(false);
                    Context.Log.Warning($"{Target}: etcd member {EtcdCluster.Describe(dead)} of lost device {lostDeviceId} removed; a replacement joins.");
                }
                return true;
            }
            catch (EtcdUnavailableException e)
            {
                if (!await AnyControlPlaneJoinedAsync(ct).ConfigureAwait(false)) return true;
                scope.SetCondition(Conditions.DeviceReady, false, "DeviceLost", $"Device {lostDeviceId} disappeared; its etcd member must be removed before a replacement joins: {e.Message}");
                return false;
            }
        }

        private string? ExternalIp() =>
            MachineAddresses.ExternalIpv4(scope.Status);

        /// <summary>Found by id or tag, deleted, and waited for; a device that is already gone (404, 403) is success (the seed got stuck here).</summary>
        /// <summary>
        /// The deleted machine's Node goes too (its kubelet is gone with the device), so the cluster does not keep a
        /// NotReady Node forever. Best effort: a cluster whose API server is gone (it is being deleted) is not waited for.
        /// </summary>
        public async Task<ReconcileResult> EnsureNodeGone(CancellationToken ct)
        {
            if (scope.ClusterName is not { } clusterName) return ReconcileResult.Done;
            // A Node that registered after the Machine's last pass has no nodeRef yet (a scale-down right after a join):
            // found by providerID in a fresh list, or it would stay behind NotReady. The device is gone, so no kubelet
            // can register it again.
            var node = scope.Status.NodeRef?.Name ?? await UnlinkedNodeAsync(clusterName, ct).ConfigureAwait(false);
            if (node is null) return ReconcileResult.Done;
            await TryDeleteNodeAsync(clusterName, node, ct).ConfigureAwait(false);
            scope.Status.NodeRef = null;
            return ReconcileResult.Done;
        }

        private async Task<string?> UnlinkedNodeAsync(string clusterName, CancellationToken ct)
        {
            if (scope.Machine.Spec.ProviderID is not { Length: > 0 } providerId) return null;
            try
            {
                var nodes = await Context.Nodes.Clusters.ListNodesAsync(scope.Namespace, clusterName, ct).ConfigureAwait(false);
                return nodes.FirstOrDefault(n => n.ProviderId == providerId)?.Name;
            }
            catch (Workload.WorkloadClusterUnavailableException)
            {
                return null; // Best effort, as the delete itself: a cluster being deleted is not waited for.
            }
        }

        private async Task TryDeleteNodeAsync(string clusterName, string node, CancellationToken ct)
        {
            try
            {
                await Context.Nodes.DeleteAsync(scope.Namespace, clusterName, node, ct).ConfigureAwait(false);
                Context.Log.Verbose($"{Target}: deleted Node {node}.");
            }
            catch (Workload.WorkloadClusterUnavailableException e)
            {
                Context.Log.Verbose($"{Target}: Node {node} not deleted ({e.Message}); leaving it.");
            }
        }

        public async Task<ReconcileResult> EnsureDeviceGone(CancellationToken ct)
        {
            if (scope.ClusterName is null) return ReconcileResult.Done;
            var device = scope.MachineUid is { } uid
                ? await FindDeviceAsync(uid, ct).ConfigureAwait(false)
                : RecordedDeviceId() is { } id ? await Inventory.FindByIdAsync(scope.Identity, id, ct).ConfigureAwait(false) : null;
            if (device is null)
            {
                scope.SetCondition(Conditions.DeviceReady, false, "DeviceDeleted");
                scope.ProviderStatus.State = "deleted";
                return ReconcileResult.Done;
            }
            scope.ProviderStatus.State = device.State;
            if (device.State is "deprovisioning") return ReconcileResult.RequeueAfter(RequeueIntervals.DeviceDeleting);
            if (device.State is "queued" or "provisioning")
            {
                // The API refuses (422) to delete a device before its provisioning ends, e.g. after a create was
                // interrupted with Ctrl+C: wait for it to become active or failed, then delete it.
                scope.SetCondition(Conditions.DeviceReady, false, "WaitingToDelete", $"Device {device.Id} is {device.State}; it is deleted when provisioning ends.");
                return ReconcileResult.RequeueAfter(RequeueIntervals.DeviceProvisioning);
            }
            try
            {
                await Context.Packet.DeleteDeviceAsync(device.Id!, cancellationToken: ct).ConfigureAwait(false);
                Context.Log.Verbose($"{Target}: deleting device {device.Id}.");
                // Not deleted twice on a stale list; the next list (after the interval) shows it going or gone.
                Inventory.Record(scope.Identity, device with { State = "deprovisioning" });
            }
            catch (PacketApiException e) when (e is PacketApiNotFoundException or PacketApiForbiddenException)
            {
                // Already gone: 404, or 403 for a device moved out of the project (the seed's delete got stuck here).
                Inventory.Invalidate(scope.Identity);
            }
            catch
            {
                Inventory.Invalidate(scope.Identity);
                throw;
            }
            scope.SetCondition(Conditions.DeviceReady, false, "Deleting", $"Device {device.Id} is being deleted.");
            return ReconcileResult.RequeueAfter(RequeueIntervals.DeviceDeleting);
        }

        public async Task<ReconcileResult> ReleaseBootstrapToken(CancellationToken ct)
        {
            await Context.Store.DeleteSecretAsync(scope.Namespace, ClusterSecrets.BootstrapToken(scope.Name), ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        public async Task<ReconcileResult> RemoveFinalizer(CancellationToken ct)
        {
            if (scope.Machine.Metadata.Finalizers?.Remove(Finalizers.Machine) != true) return ReconcileResult.Done;
            await scope.UpdateAsync(ct).ConfigureAwait(false);
            scope.Released = true;
            return ReconcileResult.Done;
        }

        // ---------------------------------------------------------------- helpers

        private async Task<Device?> FindDeviceAsync(string uid, CancellationToken ct)
        {
            if (RecordedDeviceId() is { } id && await Inventory.FindByIdAsync(scope.Identity, id, ct).ConfigureAwait(false) is { } byId) return byId;
            return await Inventory.FindByMachineUidAsync(scope.Identity, uid, ct).ConfigureAwait(false);
        }

        private string? RecordedDeviceId() => MachineAddresses.DeviceId(scope.Status, scope.Machine.Spec.ProviderID);

        /// <summary>spec.providerID right away (a spec write), status.providerStatus.deviceID with the status patch.</summary>
        private async Task RecordDeviceIdAsync(string deviceId, CancellationToken ct)
        {
            scope.ProviderStatus.DeviceID = deviceId;
            var providerId = ProviderIdPrefix + deviceId;
            if (scope.Machine.Spec.ProviderID == providerId) return;
            scope.Machine.Spec.ProviderID = providerId;
            await scope.UpdateAsync(ct).ConfigureAwait(false);
        }

        private string ProjectId() => Context.ProjectId;

        /// <summary>
        /// On the control plane that runs kubeadm init: why the API server is overdue, once its device has been active for
        /// <see cref="ApiServerPatience"/> without the endpoint answering (kubeadm init failed or hangs; only the device's
        /// serial console shows its errors). Null while it is not overdue, and on every other machine.
        /// </summary>
        private async Task<string?> ApiServerOverdueAsync(CancellationToken ct)
        {
            if (!scope.Machine.IsControlPlane || scope.Device?.Id is not { } deviceId) return null;
            var activeSince = scope.Status.Conditions?.FirstOrDefault(c => c.Type == Conditions.DeviceReady && c.Status == "True")?.LastTransitionTime;
            if (activeSince is not { } since || Context.Time.GetUtcNow() - since < ApiServerPatience) return null;
            if (!await IsFirstControlPlaneAsync(ct).ConfigureAwait(false)) return null;
            var endpoint = scope.Cluster?.Status?.ApiEndpoints?.FirstOrDefault();
            return $"The API server at https://{endpoint?.Host}:{endpoint?.Port} has not answered in the {(Context.Time.GetUtcNow() - since).TotalMinutes:0} minutes since "
                + $"device {deviceId} became active: kubeadm init failed or hangs there. Its serial console says why (Packet: the SOS console, "
                + $"ssh {deviceId}@sos.<facility>.platformequinix.com; the simulator: GET /_simulator/devices/{deviceId}/console).";
        }

        /// <summary>Whether another control plane of the cluster has a Node (its API server and etcd member ran).</summary>
        private async Task<bool> AnotherControlPlaneRunsAsync(CancellationToken ct) =>
            (await ClusterMachinesAsync(ct).ConfigureAwait(false)).Any(m => m.IsControlPlane && m.Name != scope.Name
                && m.Metadata.DeletionTimestamp is null && m.Status?.NodeRef is not null);

        /// <summary>The public IPv4 of the cluster's other running control planes, where their etcd members listen.</summary>
        private async Task<List<string>> OtherControlPlaneHostsAsync(CancellationToken ct) =>
            (await ClusterMachinesAsync(ct).ConfigureAwait(false))
                .Where(m => m.IsControlPlane && m.Name != scope.Name && m.Metadata.DeletionTimestamp is null)
                .Select(m => MachineAddresses.ExternalIpv4(m.Status))
                .OfType<string>().ToList();

        /// <summary>
        /// Whether any control plane of the cluster ever became a Node. One that never did (booting off, a cluster that
        /// never came up) has no etcd data to protect, so an etcd nobody can reach does not hold a removal back.
        /// </summary>
        private async Task<bool> AnyControlPlaneJoinedAsync(CancellationToken ct) =>
            (await ClusterMachinesAsync(ct).ConfigureAwait(false)).Any(m => m.IsControlPlane && m.Status?.NodeRef is not null);

        private async Task<bool> IsFirstControlPlaneAsync(CancellationToken ct)
        {
            var first = FirstControlPlane.Of(await ClusterMachinesAsync(ct).ConfigureAwait(false));
            return first?.Name == scope.Name;
        }

        /// <summary>
        /// A machine created after the first control plane rendered its InitConfiguration (added later, or a replacement)
        /// joins with a token the running cluster does not know yet: make it there, with a short life (it is revoked once
        /// the machine's Node registers). An API server that does not answer does not hold the device back: kubeadm join
        /// keeps retrying discovery, and <see cref="LinkNode"/> tries the registration again on every pass until it works.
        /// </summary>
        private async Task RegisterLateTokenAsync(string clusterName, Pki.BootstrapToken token, CancellationToken ct)
        {
            var first = FirstControlPlane.Of(await ClusterMachinesAsync(ct).ConfigureAwait(false));
            if (first is null || (first.Name == scope.Name && !_replacingLostDevice)) return;
            var rendered = first.Metadata.Annotations?.GetValueOrDefault(InitTokensAnnotation);
            // Not rendered yet: this machine's token goes into the InitConfiguration like every initial machine's.
            if (rendered is null && string.IsNullOrEmpty(first.Spec.ProviderID)) return;
            if (!_replacingLostDevice && rendered?.Split(',').Contains(scope.Name, StringComparer.Ordinal) == true) return;
            if (!_replacingLostDevice && Conditions.IsTrue(scope.Status.Conditions, Conditions.BootstrapTokenRegistered)) return;
            await TryRegisterTokenAsync(clusterName, token, ct).ConfigureAwait(false);
        }

        private async Task TryRegisterTokenAsync(string clusterName, Pki.BootstrapToken token, CancellationToken ct)
        {
            try
            {
                await Context.Nodes.Clusters.RegisterBootstrapTokenAsync(scope.Namespace, clusterName, token, Context.Time.GetUtcNow() + LateTokenLifetime, ct).ConfigureAwait(false);
                Context.Log.Verbose($"{Target}: bootstrap token {token.Id} registered in cluster '{clusterName}' for its join.");
                scope.SetCondition(Conditions.BootstrapTokenRegistered, true, "RegisteredInCluster", $"Token {token.Id} expires in {LateTokenLifetime.TotalHours:0} h or when the Node registers.");
            }
            catch (Workload.WorkloadClusterUnavailableException e)
            {
                scope.SetCondition(Conditions.BootstrapTokenRegistered, false, PendingRegistration, $"The machine's bootstrap token is not in the cluster yet: {e.Message}");
            }
        }

        private const string PendingRegistration = "WaitingForApiServer";
        private const string ApiServerNotAnswering = "ApiServerNotAnswering";

        private Task<IReadOnlyList<Machine>> ClusterMachinesAsync(CancellationToken ct) => clusterMachines is not null ? Task.FromResult(clusterMachines) :
            Context.Store.ListAsync<Machine>(scope.Namespace, new Dictionary<string, string> { [ClusterValidation.ClusterNameLabel] = scope.ClusterName! }, ct);

        /// <summary>The create body; or null with what it waits for; or null and null when the Machine failed validation.</summary>
        private async Task<(DeviceCreateRequest? Request, string? Waiting)> BuildCreateRequestAsync(Cluster cluster, string uid, CancellationToken ct)
        {
            if (cluster.Status?.ApiEndpoints is not [{ Host: { Length: > 0 } } endpoint, ..])
                return (null, $"Cluster '{cluster.Name}' has no API endpoint yet.");

            var spec = scope.Machine.Spec.ProviderSpec?.Value ?? new PacketMachineProviderSpec();
            var clusterSpec = cluster.Spec.ProviderSpec?.Value;
            var controlPlane = scope.Machine.IsControlPlane;
            // Only the first control plane runs kubeadm init; any other joins the cluster it made, so a control plane
            // added later (or the second of three created at once) never starts a separate cluster of its own.
            // A replacement of the first control plane joins the others that kept running: an init there would start a
            // second cluster with its own etcd.
            var role = !controlPlane ? MachineRole.Worker
                : await IsFirstControlPlaneAsync(ct).ConfigureAwait(false) && !await AnotherControlPlaneRunsAsync(ct).ConfigureAwait(false)
                    ? MachineRole.ControlPlane : MachineRole.JoiningControlPlane;
            var network = cluster.Spec.ClusterNetwork;
            var ns = scope.Namespace;

            ClusterPki? pki = null;
            string? caCertificate;
            if (controlPlane)
            {
                pki = await ClusterSecrets.ReadPkiAsync(Context.Store, ns, cluster.Name, ct).ConfigureAwait(false);
                caCertificate = pki?.ClusterCa.CertificatePem;
            }
            else
            {
                caCertificate = await ClusterSecrets.ReadCaCertificateAsync(Context.Store, ns, cluster.Name, ct).ConfigureAwait(false);
            }
            if (caCertificate is null) return (null, $"Cluster '{cluster.Name}' has no PKI Secrets yet.");

            IReadOnlyList<string> initTokens = [];
            string? joinToken = null;
            if (role == MachineRole.ControlPlane)
            {
                // One token per other initial machine (workers, and control planes that join), so the InitConfiguration
                // makes every one's token (PRODUCT.md §4): they are created at the same time and join as soon as this
                // control plane is up.
                var joining = (await ClusterMachinesAsync(ct).ConfigureAwait(false))
                    .Where(m => m.Name != scope.Name && m.Metadata.DeletionTimestamp is null).OrderBy(m => m.Name, StringComparer.Ordinal);
                var tokens = new List<string>();
                foreach (var machine in joining)
                    tokens.Add((await ClusterSecrets.EnsureBootstrapTokenAsync(Context.Store, machine, ct).ConfigureAwait(false)).Value);
                // Plus one of its own, as kubeadm init always makes one; it also keeps a worker-less cluster renderable.
                tokens.Add((await ClusterSecrets.EnsureBootstrapTokenAsync(Context.Store, scope.Machine, ct).ConfigureAwait(false)).Value);
                initTokens = tokens;
                // Recorded before the device exists: a machine not named here must have its token made in the running cluster.
                var names = string.Join(',', joining.Select(m => m.Name).Append(scope.Name));
                var annotations = scope.Machine.Metadata.Annotations ??= new Dictionary<string, string>();
                if (annotations.GetValueOrDefault(InitTokensAnnotation) != names)
                {
                    annotations[InitTokensAnnotation] = names;
                    await scope.UpdateAsync(ct).ConfigureAwait(false);
                }
            }
            else
            {
                var token = await ClusterSecrets.EnsureBootstrapTokenAsync(Context.Store, scope.Machine, ct).ConfigureAwait(false);
                await RegisterLateTokenAsync(cluster.Name, token, ct).ConfigureAwait(false);
                joinToken = token.Value;
            }

            string userdata;
            try
            {
                userdata = renderer.Render(new UserdataRequest
                {
                    Role = role,
                    ClusterName = cluster.Name,
                    NodeName = scope.Name,
                    MachineName = scope.Name,
                    MachineNamespace = ns,
                    KubernetesVersion = (controlPlane ? scope.Machine.Spec.Versions!.ControlPlane : scope.Machine.Spec.Versions?.Kubelet)?.TrimStart('v') ?? string.Empty,
                    Image = spec.OS ?? string.Empty,
                    ControlPlaneEndpointHost = endpoint.Host!,
                    ControlPlaneEndpointPort = endpoint.Port > 0 ? endpoint.Port : UserdataRequest.DefaultControlPlanePort,
                    PodCidr = network?.Pods?.CidrBlocks?.FirstOrDefault() ?? string.Empty,
                    ServiceCidr = network?.Services?.CidrBlocks?.FirstOrDefault() ?? string.Empty,
                    DnsDomain = string.IsNullOrEmpty(network?.ServiceDomain) ? "cluster.local" : network.ServiceDomain,
                    CaCertificatePem = caCertificate,
                    CaKeyPem = pki?.ClusterCa.PrivateKeyPem,
                    EtcdCaCertificatePem = pki?.EtcdCa.CertificatePem,
                    EtcdCaKeyPem = pki?.EtcdCa.PrivateKeyPem,
                    FrontProxyCaCertificatePem = pki?.FrontProxyCa.CertificatePem,
                    FrontProxyCaKeyPem = pki?.FrontProxyCa.PrivateKeyPem,
                    ServiceAccountPublicKeyPem = pki?.ServiceAccount.PublicKeyPem,
                    ServiceAccountPrivateKeyPem = pki?.ServiceAccount.PrivateKeyPem,
                    BootstrapTokens = initTokens,
                    JoinToken = joinToken,
                    CaCertHash = role.Joins() ? SpkiPin.Compute(caCertificate) : null,
                    // Node pools: the MachineDeployment's template gives every replica its Node's labels and taints.
                    NodeLabels = scope.Machine.Spec.Metadata?.Labels ?? new Dictionary<string, string>(),
                    NodeTaints = scope.Machine.Spec.Taints ?? [],
                });
            }
            catch (PacketClusterException e) when (e is not Metal.PacketApiException)
            {
                scope.Fail(InvalidConfiguration, e.Message);
                scope.SetCondition(Conditions.BootstrapReady, false, "UserdataInvalid", e.Message);
                return (null, null);
            }

            var metro = !string.IsNullOrWhiteSpace(spec.Metro) ? spec.Metro : null;
            var facility = metro is null && spec.Facility is [{ Length: > 0 } first, ..] ? first : null;
            if (metro is null && facility is null)
            {
                metro = string.IsNullOrWhiteSpace(clusterSpec?.Metro) ? null : clusterSpec.Metro;
                facility = metro is null && !string.IsNullOrWhiteSpace(clusterSpec?.Facility) ? clusterSpec.Facility : null;
            }

            var tags = new List<string>();
            foreach (var tag in spec.Tags ?? [])
            {
                if (string.IsNullOrWhiteSpace(tag) || tags.Contains(tag)) continue;
                // A spec tag may not claim an identity: it could make the device another cluster's or another machine's.
                if (DeviceTags.IsReserved(tag)) { Context.Log.Warning($"{Target}: tag '{tag}' is reserved for PacketCluster's own use and was left out."); continue; }
                tags.Add(tag);
            }
            tags.Add(DeviceTags.MachineUid(uid));
            tags.AddRange(ClusterIdentity.Of(cluster).Tags());
            tags.Add(DeviceTags.Role(controlPlane));

            var sshKeys = (spec.SshKeys ?? []).Where(k => !string.IsNullOrWhiteSpace(k))
                .Select((key, i) => new DeviceSshKey($"{scope.Name}-{i}", key.Trim())).ToList();

            return (new DeviceCreateRequest
            {
                Hostname = scope.Name,
                Plan = spec.MachineType ?? string.Empty,
                OperatingSystem = spec.OS ?? string.Empty,
                Metro = metro,
                Facility = facility,
                BillingCycle = string.IsNullOrWhiteSpace(spec.BillingCycle) ? "hourly" : spec.BillingCycle,
                Userdata = userdata,
                Tags = tags,
                SshKeys = sshKeys.Count > 0 ? sshKeys : null,
                HardwareReservationId = string.IsNullOrWhiteSpace(spec.HardwareReservationID) ? null : spec.HardwareReservationID,
                SpotInstance = spec.SpotInstance,
                SpotPriceMax = spec.SpotPriceMax,
            }, null);
        }
    }
}
