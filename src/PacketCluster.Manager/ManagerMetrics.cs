using System.Diagnostics;
using System.Text;
using PacketCluster.Engine.Operations;

namespace PacketCluster.Manager;

/// <summary>Prometheus text exposition of the few numbers that tell whether a manager works.</summary>
internal static class ManagerMetrics
{
    public static string Render(ClusterManager manager, DateTimeOffset started)
    {
        using var process = Process.GetCurrentProcess();
        var text = new StringBuilder();
        void Metric(string name, string type, string help, double value)
        {
            text.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n');
            text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            text.Append(name).Append(' ').Append(value.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }
        Metric("packetcluster_manager_leading", "gauge", "1 while this manager holds the Lease and reconciles.", manager.IsLeading ? 1 : 0);
        Metric("packetcluster_manager_reconcile_passes_total", "counter", "Cluster reconcile passes done.", manager.Passes);
        text.Append("# HELP packetcluster_manager_cluster_reconcile_passes_total Reconcile passes done per cluster since this process started.\n")
            .Append("# TYPE packetcluster_manager_cluster_reconcile_passes_total counter\n");
        foreach (var (cluster, passes) in manager.PassesByCluster.OrderBy(p => p.Key, StringComparer.Ordinal))
            text.Append("packetcluster_manager_cluster_reconcile_passes_total{cluster=\"").Append(LabelValue(cluster)).Append("\"} ")
                .Append(passes.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        Metric("packetcluster_manager_store_writes_total", "counter", "Creates, updates and deletes of Cluster API objects sent to the API server.", manager.StoreWrites);
        Metric("packetcluster_manager_watch_events_total", "counter", "Watch events received for Cluster API objects.", manager.WatchEvents);
        Metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.", process.WorkingSet64);
        Metric("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.", started.ToUnixTimeSeconds());
        return text.ToString();
    }

    /// <summary>Prometheus label-value escaping (backslash, quote, newline); cluster names are DNS labels, but the text stays valid whatever it holds.</summary>
    private static string LabelValue(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");
}
