using PacketCluster.Engine.ControlPlane;
using PacketCluster.Engine.Metal;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// Keeps the elastic IP on a control plane that answers, for clusters with more than one control plane (PRODUCT.md §4;
/// Cluster API's Packet provider needed kube-vip or the cloud controller manager for this). Each pass health-checks the
/// API server through the elastic IP and on every control plane directly. When the holder has not answered for
/// <see cref="FailoverAfter"/> (or its device is gone, stopped or failed), the address moves to a healthy control plane:
/// unassign, assign. Every move is logged as a warning and recorded in the Cluster's EndpointFailover condition. The
/// control planes' own addresses go to <see cref="ControlPlaneAddressBook"/>, so this process's management connections
/// survive the holder's death too.
/// </summary>
internal sealed class EndpointFailover(ClusterScope scope)
{
    /// <summary>Long enough to ride out a slow answer or an API server restart, short against the 30 s target for the window.</summary>
    public static TimeSpan FailoverAfter { get; set; } = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(5);

    private ClusterReconcileContext Context => scope.Context;

    public async Task<ReconcileResult> TendAsync(CancellationToken ct)
    {
        if (scope.Status.ApiEndpoints is not [{ Host: { Length: > 0 } endpoint } api, ..]) return ReconcileResult.Done;
        var port = api.Port > 0 ? api.Port : ClusterReconciler.ApiServerPort;
        var identity = ClusterIdentity.Of(scope.Cluster);
        var controlPlanes = (await Context.Store.ListAsync<Machine>(scope.Namespace,
                new Dictionary<string, string> { [Api.ClusterValidation.ClusterNameLabel] = scope.Name }, ct).ConfigureAwait(false))
            .Where(m => m.IsControlPlane).ToList();
        // One control plane: nothing to fail over to; its Machine assigns the address (MachineReconciler).
        // (Counting those being deleted: the last one but one still hands the address to the one that stays.)
        if (controlPlanes.Count <= 1) return ReconcileResult.Done;

        var devices = await Context.Inventory.DevicesAsync(identity, ct).ConfigureAwait(false);
        var byId = devices.Where(d => d.Id is not null).ToDictionary(d => d.Id!, StringComparer.Ordinal);
        var candidates = controlPlanes
            .Select(m => (Machine: m, Device: DeviceOf(m, byId)))
            .Where(c => c.Device is { State: "active" } && c.Device.ManagementAddress(4, isPublic: true) is not null)
            .ToList();
        ControlPlaneAddressBook.Record(endpoint, port, candidates.Select(c => c.Device!.ManagementAddress(4, isPublic: true)!));

        var caPem = await ClusterSecrets.ReadCaCertificateAsync(Context.Store, scope.Namespace, scope.Name, ct).ConfigureAwait(false);
        if (caPem is null) return ReconcileResult.RequeueAfter(ProbeInterval);
        var healthy = new List<(Machine Machine, Device Device)>();
        foreach (var (machine, device) in candidates)
        {
            if (await Context.ApiServers.IsReadyAsync(device!.ManagementAddress(4, isPublic: true)!, port, caPem, ct).ConfigureAwait(false))
                healthy.Add((machine, device));
        }

        var key = $"{scope.Namespace}/{scope.Name}";
        var now = Context.Time.GetUtcNow();
        var holder = devices.FirstOrDefault(d => d.IpAddresses.Any(ip => ip.Address == endpoint));
        // A holder whose Machine is being removed hands the address over while it still answers (its Machine waits for it).
        var holderMachine = holder is null ? null : controlPlanes.FirstOrDefault(m => DeviceOf(m, byId)?.Id == holder.Id);
        var holderLeaving = holderMachine?.Metadata.DeletionTimestamp is not null
            && healthy.Any(h => h.Device.Id != holder!.Id && h.Machine.Metadata.DeletionTimestamp is null);
        if (holder is not null && holder.State == "active" && !holderLeaving && healthy.Any(h => h.Device.Id == holder.Id)
            && await Context.ApiServers.IsReadyAsync(endpoint, port, caPem, ct).ConfigureAwait(false))
        {
            Context.EndpointUnhealthySince.TryRemove(key, out _);
            scope.SetCondition(Conditions.EndpointHealthy, true, "Answering", $"{endpoint} is on {holder.Hostname} ({holder.Id}); {healthy.Count} of {candidates.Count} control planes answer.");
            return ReconcileResult.RequeueAfter(ProbeInterval);
        }

        var target = healthy.Where(h => h.Device.Id != holder?.Id)
            .OrderBy(h => h.Machine.Metadata.DeletionTimestamp is null ? 0 : 1)
            .ThenBy(h => h.Machine.Metadata.CreationTimestamp).ThenBy(h => h.Machine.Name, StringComparer.Ordinal)
            .Select(h => ((Machine Machine, Device Device)?)h).FirstOrDefault();
        if (holder is null && healthy.Count == 0)
        {
            // Nobody holds it and nobody answers yet: a cluster being created (the first control plane's Machine assigns).
            return ReconcileResult.RequeueAfter(ProbeInterval);
        }
        var since = Context.EndpointUnhealthySince.GetOrAdd(key, now);
        var why = holder is null ? "no device holds it"
            : holderLeaving ? $"its holder {holder.Hostname} is being removed"
            : holder.State != "active" ? $"its holder {holder.Hostname} is {holder.State}"
            : $"its holder {holder.Hostname} has not answered for {(now - since).TotalSeconds:0} s";
        if (target is not { } next)
        {
            scope.SetCondition(Conditions.EndpointHealthy, false, "NoHealthyControlPlane", $"{endpoint}: {why}, and no other control plane answers.");
            return ReconcileResult.RequeueAfter(ProbeInterval);
        }
        if (holder is { State: "active" } && !holderLeaving && now - since < FailoverAfter)
        {
            scope.SetCondition(Conditions.EndpointHealthy, false, "HolderNotAnswering", $"{endpoint}: {why}; it moves after {FailoverAfter.TotalSeconds:0} s.");
            return ReconcileResult.RequeueAfter(ProbeInterval);
        }

        await MoveAsync(endpoint, holder, next.Device, ct).ConfigureAwait(false);
        var message = $"{endpoint} moved from {holder?.Hostname ?? "(none)"} to {next.Device.Hostname} ({next.Device.Id}) at {now:O}: {why}.";
        Context.Log.Warning($"Cluster {scope.Namespace}/{scope.Name}: {message}");
        await Store.ObjectEvents.RecordAsync(Context.Store, scope.Cluster, "Warning", "EndpointMoved", message, Context.Log, ct).ConfigureAwait(false);
        scope.SetCondition(Conditions.EndpointFailover, true, "Moved", message);
        scope.SetCondition(Conditions.EndpointHealthy, true, "Moved", message);
        Context.EndpointUnhealthySince.TryRemove(key, out _);
        return ReconcileResult.RequeueAfter(ProbeInterval);
    }

    private async Task MoveAsync(string endpoint, Device? holder, Device target, CancellationToken ct)
    {
        var identity = ClusterIdentity.Of(scope.Cluster);
        try
        {
            if (holder?.IpAddresses.FirstOrDefault(ip => ip.Address == endpoint)?.Id is { } assignment)
            {
                try { await Context.Packet.UnassignIpAsync(assignment, ct).ConfigureAwait(false); }
                catch (PacketApiNotFoundException) { /* released with its device meanwhile */ }
            }
            await Context.Packet.AssignIpAsync(target.Id!, endpoint, ct).ConfigureAwait(false);
        }
        finally
        {
            // Both devices changed; the next pass must see them as they are now.
            Context.Inventory.Invalidate(identity);
        }
    }

    private static Device? DeviceOf(Machine machine, IReadOnlyDictionary<string, Device> byId) =>
        MachineAddresses.DeviceId(machine.Status, machine.Spec.ProviderID) is { } id && byId.TryGetValue(id, out var device) ? device : null;
}
