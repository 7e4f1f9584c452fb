using System.Net;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Pki;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// Makes a Cluster's infrastructure exist: its PKI Secrets and an elastic IP as the control-plane endpoint
/// (PRODUCT.md §4), and undoes both on delete once every Machine is gone (the seed's cluster delete cleaned nothing,
/// and CAPP's kept the elastic IP).
/// </summary>
public sealed class ClusterReconciler
{
    public const int ApiServerPort = 6443;

    private readonly ClusterReconcileContext _context;

    public ClusterReconciler(ClusterReconcileContext context) => _context = context ?? throw new ArgumentNullException(nameof(context));

    public async Task<ReconcileResult> ReconcileAsync(string ns, string name, CancellationToken cancellationToken)
    {
        var scope = await ClusterScope.LoadAsync(_context, ns, name, cancellationToken).ConfigureAwait(false);
        if (scope is null) return ReconcileResult.Done;
        var steps = new Steps(scope);
        try
        {
            return scope.IsDeleting
                ? await ReconcileSteps.RunInOrderAsync(_context.Log, scope.Cluster.ToString(), cancellationToken,
                    steps.WaitForMachinesGone, steps.ReleaseEndpoint, steps.DeletePki, steps.RemoveFinalizer).ConfigureAwait(false)
                : await ReconcileSteps.RunAllAsync(_context.Log, scope.Cluster.ToString(), cancellationToken,
                    steps.EnsureFinalizer, steps.EnsurePki, steps.EnsureEndpoint, steps.TendEndpoint).ConfigureAwait(false);
        }
        finally
        {
            scope.SetPhaseFromFacts();
            await scope.PatchStatusAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private sealed class Steps(ClusterScope scope)
    {
        private ClusterReconcileContext Context => scope.Context;
        private IStateStore Store => scope.Context.Store;
        private ClusterIdentity Identity => ClusterIdentity.Of(scope.Cluster);

        // ---------------------------------------------------------------- create

        /// <summary>
        /// The finalizer and the cluster's identity, in one write before anything is reserved: nothing is made for a
        /// cluster that could vanish without releasing it, or that another cluster of the same name could take for its own.
        /// </summary>
        public async Task<ReconcileResult> EnsureFinalizer(CancellationToken ct)
        {
            var finalizers = scope.Cluster.Metadata.Finalizers ??= new List<string>();
            var changed = false;
            if (!finalizers.Contains(Finalizers.Cluster))
            {
                finalizers.Add(Finalizers.Cluster);
                changed = true;
            }
            if (Identity.Uid is null)
            {
                // Recorded by an older version, or applied with kubectl: the CA Secret may still know it (a Cluster object
                // recreated from files), else this is the moment the cluster gets one.
                var caSecret = await Store.GetSecretAsync(scope.Namespace, ClusterSecrets.ClusterCa(scope.Name), ct).ConfigureAwait(false);
                var uid = caSecret?.Metadata?.Annotations is { } annotations && annotations.TryGetValue(ClusterIdentity.UidAnnotation, out var kept) && kept is { Length: > 0 }
                    ? kept : ClusterIdentity.NewUid();
                (scope.Cluster.Metadata.Annotations ??= new Dictionary<string, string>())[ClusterIdentity.UidAnnotation] = uid;
                Context.Log.Verbose($"Cluster {scope.Namespace}/{scope.Name}: identity {uid} recorded.");
                changed = true;
            }
            if (changed) await scope.UpdateAsync(ct).ConfigureAwait(false);
            return ReconcileResult.Done;
        }

        /// <summary>Each PKI Secret is made once; a user-supplied CA is imported into the CA Secret and then blanked out of the spec.</summary>
        public async Task<ReconcileResult> EnsurePki(CancellationToken ct)
        {
            var ns = scope.Namespace;
            var name = scope.Name;
            var userCa = scope.Cluster.Spec.ProviderSpec?.Value?.CaKeyPair;
            var hasUserCa = !string.IsNullOrEmpty(userCa?.Cert) || !string.IsNullOrEmpty(userCa?.Key);

            // Only what is missing is made (a crash between two Secrets resumes); RSA key generation is the slow part
            // (~1 s per key on a small machine), so the missing keys are generated side by side.
            var missing = new List<Task<k8s.Models.V1Secret>>();
            if (await Store.GetSecretAsync(ns, ClusterSecrets.ClusterCa(name), ct).ConfigureAwait(false) is null)
            {
                var cluster = scope.Cluster;
                missing.Add(Task.Run(() => ClusterSecrets.CaSecret(ClusterSecrets.ClusterCa(name), cluster, hasUserCa
                    ? CertificateAuthority.Import(UserdataPreview.PemOrBase64(userCa!.Cert ?? ""), UserdataPreview.PemOrBase64(userCa.Key ?? ""))
                    : CertificateAuthority.Generate(name)), ct));
            }
            if (await Store.GetSecretAsync(ns, ClusterSecrets.EtcdCa(name), ct).ConfigureAwait(false) is null)
                missing.Add(Task.Run(() => ClusterSecrets.CaSecret(ClusterSecrets.EtcdCa(name), scope.Cluster, CertificateAuthority.Generate(ClusterPki.EtcdCaCommonName)), ct));
            if (await Store.GetSecretAsync(ns, ClusterSecrets.FrontProxyCa(name), ct).ConfigureAwait(false) is null)
                missing.Add(Task.Run(() => ClusterSecrets.CaSecret(ClusterSecrets.FrontProxyCa(name), scope.Cluster, CertificateAuthority.Generate(ClusterPki.FrontProxyCaCommonName)), ct));
            if (await Store.GetSecretAsync(ns, ClusterSecrets.ServiceAccount(name), ct).ConfigureAwait(false) is null)
                missing.Add(Task.Run(() => ClusterSecrets.ServiceAccountSecret(ClusterSecrets.ServiceAccount(name), scope.Cluster, ServiceAccountKeyPair.Generate()), ct));
            // The CA Secret is written first: the spec's user CA is blanked only once it is safely stored.
            foreach (var secret in await Task.WhenAll(missing).ConfigureAwait(false))
                await CreateOnceAsync(secret, ct).ConfigureAwait(false);
            if (hasUserCa)
            {
                // The key lives in the Secret now; the seed kept it in the Cluster spec, readable by anyone who can read Clusters.
                scope.Cluster.Spec.ProviderSpec!.Value!.CaKeyPair = null;
                await scope.UpdateAsync(ct).ConfigureAwait(false);
                Context.Log.Verbose($"Cluster {ns}/{name}: the supplied CA was moved into Secret {ClusterSecrets.ClusterCa(name)}.");
            }

            scope.SetCondition(Conditions.CertificatesReady, true, "SecretsCreated");
            return ReconcileResult.Done;
        }

        /// <summary>
        /// One tagged elastic IPv4 per cluster. Looked up by tag before reserving, so a crash between the reservation
        /// and the status write never reserves a second one.
        /// </summary>
        public async Task<ReconcileResult> EnsureEndpoint(CancellationToken ct)
        {
            // Recorded already: no API call in steady state.
            if (scope.Status.ApiEndpoints is [{ Host: { Length: > 0 } }, ..]) return Ready();
            if (Identity.Uid is null) return ReconcileResult.RequeueAfter(RequeueIntervals.WaitForCluster);

            var reservation = await FindReservationAsync(ct).ConfigureAwait(false);
            if (reservation is null)
            {
                var location = await LocationAsync(ct).ConfigureAwait(false);
                if (location is null)
                {
                    scope.SetCondition(Conditions.EndpointReady, false, "NoLocation",
                        "Neither the Cluster nor its control-plane Machines name a metro or facility for the elastic IP.");
                    return ReconcileResult.RequeueAfter(RequeueIntervals.WaitForCluster);
                }
                try
                {
                    reservation = await Context.Packet.RequestIpReservationAsync(Context.ProjectId, new IpReservationRequest
                    {
                        Type = "public_ipv4",
                        Quantity = 1,
                        Metro = location.Value.Metro,
                        Facility = location.Value.Metro is null ? location.Value.Facility : null,
                        Tags = Identity.Tags().ToList(),
                        Details = $"Control-plane endpoint of cluster {scope.Name}",
                    }, ct).ConfigureAwait(false);
                }
                catch (PacketApiValidationException e)
                {
                    // Quota or location refused: a person must act; say what the API said.
                    scope.Status.ErrorReason = "CreateError";
                    scope.Status.ErrorMessage = $"Reserving the elastic IP failed: {string.Join("; ", e.ApiErrors)}";
                    scope.SetCondition(Conditions.EndpointReady, false, "ReservationRefused", scope.Status.ErrorMessage);
                    return ReconcileResult.RequeueAfter(RequeueIntervals.IpReservationPending);
                }
                Context.Log.Verbose($"Cluster {scope.Namespace}/{scope.Name}: reserved elastic IP {reservation.Address}.");
            }
            if (reservation.State is "pending")
            {
                scope.SetCondition(Conditions.EndpointReady, false, "ReservationPending", "The elastic IP reservation awaits approval.");
                return ReconcileResult.RequeueAfter(RequeueIntervals.IpReservationPending);
            }
            scope.Status.ErrorReason = null;
            scope.Status.ErrorMessage = null;
            scope.Status.ApiEndpoints = [new ApiEndpoint { Host = reservation.Address, Port = ApiServerPort }];
            return Ready();

            ReconcileResult Ready()
            {
                scope.SetCondition(Conditions.EndpointReady, true, "ElasticIpReserved");
                return ReconcileResult.Done;
            }
        }

        /// <summary>With several control planes, the elastic IP follows the healthy ones (<see cref="EndpointFailover"/>).</summary>
        public Task<ReconcileResult> TendEndpoint(CancellationToken ct) => new EndpointFailover(scope).TendAsync(ct);

        // ---------------------------------------------------------------- delete

        /// <summary>The elastic IP and PKI stay until every Machine's device is gone: a device being deleted may still hold the IP.</summary>
        public async Task<ReconcileResult> WaitForMachinesGone(CancellationToken ct)
        {
            // Owners first, so no MachineSet replaces the Machines deleted below (CAPI's cluster reconcileDelete order).
            var selector = new Dictionary<string, string> { [ClusterValidation.ClusterNameLabel] = scope.Name };
            // Health checks before anything: a machine being deleted is not unhealthy, and none is to be replaced now.
            foreach (var check in await Store.ListAsync<MachineHealthCheck>(scope.Namespace, selector, ct).ConfigureAwait(false))
                await Store.DeleteAsync<MachineHealthCheck>(scope.Namespace, check.Name, ct).ConfigureAwait(false);
            foreach (var deployment in await Store.ListAsync<MachineDeployment>(scope.Namespace, selector, ct).ConfigureAwait(false))
                if (deployment.Metadata.DeletionTimestamp is null)
                    await Store.DeleteAsync<MachineDeployment>(scope.Namespace, deployment.Name, ct).ConfigureAwait(false);
            foreach (var set in await Store.ListAsync<MachineSet>(scope.Namespace, selector, ct).ConfigureAwait(false))
                if (set.Metadata.DeletionTimestamp is null)
                    await Store.DeleteAsync<MachineSet>(scope.Namespace, set.Name, ct).ConfigureAwait(false);

            var machines = await MachinesAsync(ct).ConfigureAwait(false);
            if (machines.Count == 0) return ReconcileResult.Done;
            foreach (var machine in machines.Where(m => m.Metadata.DeletionTimestamp is null))
                await Store.DeleteAsync<Machine>(scope.Namespace, machine.Name, ct).ConfigureAwait(false);
            Context.Log.Verbose($"Cluster {scope.Namespace}/{scope.Name}: waiting for {machines.Count} machine(s) to go: {string.Join(", ", machines.Select(m => m.Name))}.");
            return ReconcileResult.RequeueAfter(RequeueIntervals.WaitForMachinesGone);
        }

        /// <summary>
        /// Releases the reservations tagged with this cluster's identity, and one tagged with the name only when it is the
        /// endpoint this cluster recorded (an older version's); any other reservation of the same name is left alone.
        /// </summary>
        public async Task<ReconcileResult> ReleaseEndpoint(CancellationToken ct)
        {
            var identity = Identity;
            var recorded = scope.Status.ApiEndpoints?.FirstOrDefault()?.Host;
            var reservations = (await Context.Packet.ListIpReservationsAsync(Context.ProjectId, null, ct).ConfigureAwait(false))
                .Where(r => r.Tags.Contains(DeviceTags.ClusterId(scope.Name), StringComparer.Ordinal) && identity.OwnsReservation(r.Tags, r.Address, recorded))
                .ToList();
            foreach (var reservation in reservations)
            {
                foreach (var assignment in reservation.Assignments.Where(a => a.Id is not null))
                    await GoneIsFine(() => Context.Packet.UnassignIpAsync(assignment.Id!, ct)).ConfigureAwait(false);
                await GoneIsFine(() => Context.Packet.DeleteIpReservationAsync(reservation.Id!, ct)).ConfigureAwait(false);
                Context.Log.Verbose($"Cluster {scope.Namespace}/{scope.Name}: released elastic IP {reservation.Address}.");
            }
            scope.Status.ApiEndpoints = null;
            scope.SetCondition(Conditions.EndpointReady, false, "Released");
            return ReconcileResult.Done;
        }

        public async Task<ReconcileResult> DeletePki(CancellationToken ct)
        {
            foreach (var secret in ClusterSecrets.PkiSecretNames(scope.Name))
                await Store.DeleteSecretAsync(scope.Namespace, secret, ct).ConfigureAwait(false);
            scope.SetCondition(Conditions.CertificatesReady, false, "Deleted");
            return ReconcileResult.Done;
        }

        public async Task<ReconcileResult> RemoveFinalizer(CancellationToken ct)
        {
            if (scope.Cluster.Metadata.Finalizers?.Remove(Finalizers.Cluster) != true) return ReconcileResult.Done;
            await scope.UpdateAsync(ct).ConfigureAwait(false);
            scope.Released = true;
            return ReconcileResult.Done;
        }

        // ---------------------------------------------------------------- helpers

        private async Task<IpReservation?> FindReservationAsync(CancellationToken ct)
        {
            // Ours only: a reservation of another cluster of the same name (or one tagged by name alone) is never shared.
            var identity = Identity;
            var reservations = await Context.Packet.ListIpReservationsAsync(Context.ProjectId, ["public_ipv4"], ct).ConfigureAwait(false);
            return reservations.Where(r => identity.OwnershipOf(r.Tags) == ResourceOwnership.Ours).OrderBy(r => r.CreatedAt).FirstOrDefault();
        }

        private Task<IReadOnlyList<Machine>> MachinesAsync(CancellationToken ct) =>
            Store.ListAsync<Machine>(scope.Namespace, new Dictionary<string, string> { [ClusterValidation.ClusterNameLabel] = scope.Name }, ct);

        /// <summary>The cluster's metro or facility, else its first control plane's (the elastic IP must share the device's metro).</summary>
        private async Task<(string? Metro, string? Facility)?> LocationAsync(CancellationToken ct)
        {
            var spec = scope.Cluster.Spec.ProviderSpec?.Value;
            if (!string.IsNullOrWhiteSpace(spec?.Metro)) return (spec.Metro, null);
            if (!string.IsNullOrWhiteSpace(spec?.Facility)) return (null, spec.Facility);
            var controlPlane = (await MachinesAsync(ct).ConfigureAwait(false)).Where(m => m.IsControlPlane)
                .OrderBy(m => m.Metadata.CreationTimestamp).ThenBy(m => m.Name, StringComparer.Ordinal).FirstOrDefault();
            var machineSpec = controlPlane?.Spec.ProviderSpec?.Value;
            if (!string.IsNullOrWhiteSpace(machineSpec?.Metro)) return (machineSpec.Metro, null);
            if (machineSpec?.Facility is [{ Length: > 0 } facility, ..]) return (null, facility);
            return null;
        }

        private async Task CreateOnceAsync(k8s.Models.V1Secret secret, CancellationToken ct)
        {
            try { await Store.CreateSecretAsync(secret, ct).ConfigureAwait(false); }
            catch (StoreConflictException e) when (e.ErrorId == StoreConflictException.ExistsErrorId)
            {
                // A concurrent reconcile made it first; theirs is as good as ours, and must win so there is one PKI.
            }
        }

        /// <summary>404 and 403 both mean the thing is gone (a deleted or moved-out resource answers 403 on Packet).</summary>
        private static async Task GoneIsFine(Func<Task> call)
        {
            try { await call().ConfigureAwait(false); }
            catch (PacketApiNotFoundException) { }
            catch (PacketApiForbiddenException) { }
        }
    }
}
