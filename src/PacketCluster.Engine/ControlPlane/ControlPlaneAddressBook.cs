using System.Collections.Concurrent;

namespace PacketCluster.Engine.ControlPlane;

/// <summary>
/// Where else a cluster's API server answers when its endpoint (the elastic IP) does not: every control plane's own
/// address, keyed by the endpoint "host:port". The reconciler records what it observes; the management connections of
/// this process (<see cref="ControlPlaneFailoverHandler"/>) read it. Process-wide on purpose: the store that reads the
/// Machines and the reconciler that sees their devices are different objects of one process.
/// </summary>
public static class ControlPlaneAddressBook
{
    private static readonly ConcurrentDictionary<string, IReadOnlyList<string>> Book = new(StringComparer.OrdinalIgnoreCase);

    public static string Key(string host, int port) => $"{host.Trim('[', ']')}:{port}";

    public static void Record(string endpointHost, int port, IEnumerable<string> controlPlaneHosts)
    {
        var hosts = controlPlaneHosts.Where(h => !string.IsNullOrWhiteSpace(h) && !string.Equals(h, endpointHost, StringComparison.OrdinalIgnoreCase))
            .Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (hosts.Count == 0) return;
        Book[Key(endpointHost, port)] = hosts;
    }

    /// <summary>
    /// What a watching cmdlet knows without the reconciler: the control planes' own addresses from their Machines'
    /// status, under the Cluster's endpoint. So a cmdlet that waits through a rollout or a failover keeps its connection.
    /// </summary>
    public static void RecordFrom(Models.ClusterApi.Cluster? cluster, IEnumerable<Models.ClusterApi.Machine> machines)
    {
        if (cluster?.Status?.ApiEndpoints is not [{ Host: { Length: > 0 } endpoint } api, ..]) return;
        Record(endpoint, api.Port > 0 ? api.Port : 6443, machines
            .Where(m => m.IsControlPlane && m.Metadata.DeletionTimestamp is null)
            .Select(m => Controllers.MachineAddresses.ExternalIpv4(m.Status))
            .OfType<string>());
    }

    public static IReadOnlyList<string> Alternates(string endpointHost, int port) =>
        Book.TryGetValue(Key(endpointHost, port), out var hosts) ? hosts : [];

    /// <summary>For tests: forget everything.</summary>
    internal static void Clear() => Book.Clear();
}
