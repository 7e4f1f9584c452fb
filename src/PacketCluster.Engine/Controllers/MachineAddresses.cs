using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>What a Machine's status says about where it runs, read the same way by the reconcilers, the failover and the cmdlets.</summary>
internal static class MachineAddresses
{
    /// <summary>The public IPv4 (ExternalIP, not IPv6): where its API server and its etcd member listen.</summary>
    public static string? ExternalIpv4(MachineStatus? status) =>
        status?.Addresses?.FirstOrDefault(a => a.Type == "ExternalIP" && a.Address is not null && !a.Address.Contains(':'))?.Address;

    /// <summary>The device the Machine recorded: its provider status, else its providerID without <c>packet://</c>.</summary>
    public static string? DeviceId(MachineStatus? status, string? providerId)
    {
        if (!string.IsNullOrEmpty(status?.ProviderStatus?.DeviceID)) return status.ProviderStatus.DeviceID;
        return providerId is not null && providerId.StartsWith(MachineReconciler.ProviderIdPrefix, StringComparison.Ordinal) && providerId.Length > MachineReconciler.ProviderIdPrefix.Length
            ? providerId[MachineReconciler.ProviderIdPrefix.Length..]
            : null;
    }
}
