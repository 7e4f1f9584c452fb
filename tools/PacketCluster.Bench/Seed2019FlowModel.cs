using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using PacketCluster.Engine.Pki;
using PacketCluster.Engine.Store;

namespace PacketCluster.Bench;

/// <summary>
/// The baseline: a model of the 2019 provider's create → Ready → delete flow (shared/reference/seed-provider.md §2, §3,
/// §5, §7.1), run against the same simulator as our flow so the two are compared in one run. Not product code, and not
/// a port: it makes the same Packet API requests in the same order and waits the way that flow waits.
/// <list type="bullet">
/// <item>Every device lookup (the machine actuator's Exists, Update and Delete, the cluster actuator's GetIP) lists the
/// whole project, every page at the API's default page size (packngo's List without options), and takes the first
/// device whose tags hold the machine's.</item>
/// <item>The control plane first: its Machine is reconciled (Exists, Create = POST + one GET of waitForMachineReady,
/// whose inverted predicate returns at once; the annotation update reconciles again: Exists and Update). The cluster
/// actuator requeues every 15 s until the device has an IP; then a fixed 15 s poll until the API answers
/// (clusterctl's kubeconfig wait).</item>
/// <item>Workers only after that, one at a time (the machine controller's one worker): a bootstrap-token Secret
/// created in the workload cluster with an admin certificate minted from the CA, then the same reconcile as above,
/// with a <c>kubeadm join</c> that skips CA pinning.</item>
/// <item>Nodes Ready seen through a fixed 15 s poll; delete: per machine a lookup and a DELETE, not waited for.</item>
/// </list>
/// What the model leaves out favours the baseline: no bootstrap cluster, no pivot, no add-ons, no retries.
/// </summary>
internal sealed class Seed2019FlowModel(HttpClient packet, string projectId, TimeSpan poll)
{
    public static readonly TimeSpan SeedPoll = TimeSpan.FromSeconds(15);
    private const string ClusterTagPrefix = "cluster-api-provider-packet:cluster-id:";
    private const string MachineTagPrefix = "cluster-api-provider-packet:machine-uid:";

    /// <summary>The machines made so far (the actuator's uid tag, the device), for <see cref="DeleteAsync"/>.</summary>
    private readonly List<(string Uid, string DeviceId)> _machines = [];

    /// <summary>Seconds from the start to the poll that first saw every Node Ready.</summary>
    public async Task<double> CreateAsync(string cluster, int workers, string metro, string plan, string os, TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var deadline = clock.Elapsed + timeout;
        var ca = CertificateAuthority.Generate("kubernetes");
        var master = $"{cluster}-master-0";
        var cp = await ReconcileMachineAsync(cluster, master, ControlPlaneUserdata(master, ca), metro, plan, os, ct);

        // The cluster actuator: GetIP every 15 s until the control plane's device has one; then clusterctl's kubeconfig wait.
        string? ip = null;
        while ((ip = PublicIpv4(await LookupAsync(cluster, cp.Uid, ct))) is null) await PollAsync(clock, deadline, "the control plane's IP", ct);
        var server = $"https://{ip}:6443";
        using var workload = KubernetesStore.FromKubeconfigText(AdminKubeconfig.Create(cluster, server, ca));
        while (!await AnswersAsync(workload.Client, ct)) await PollAsync(clock, deadline, "the API server", ct);

        for (var i = 0; i < workers; i++)
        {
            var name = $"{cluster}-worker-{i}";
            var token = BootstrapToken.Generate();
            await workload.Client.CoreV1.CreateNamespacedSecretAsync(token.ToSecret(DateTimeOffset.UtcNow.AddMinutes(30)), BootstrapToken.SecretNamespace, cancellationToken: ct);
            await ReconcileMachineAsync(cluster, name, WorkerUserdata(name, ip, token), metro, plan, os, ct);
        }
        while (await ReadyNodesAsync(workload.Client, ct) < workers + 1) await PollAsync(clock, deadline, $"{workers + 1} Ready Nodes", ct);
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The machine actuator's Delete for each machine: a lookup, then DELETE without waiting.</summary>
    public async Task DeleteAsync(string cluster, CancellationToken ct)
    {
        foreach (var (uid, _) in _machines)
        {
            if (await LookupAsync(cluster, uid, ct) is { } device)
                (await packet.DeleteAsync($"devices/{device["id"]!.GetValue<string>()}", ct)).EnsureSuccessStatusCode();
        }
    }

    private async Task<(string Uid, string DeviceId)> ReconcileMachineAsync(string cluster, string hostname, string userdata, string metro, string plan, string os, CancellationToken ct)
    {
        var uid = Guid.NewGuid().ToString();
        if (await LookupAsync(cluster, uid, ct) is not null) throw new InvalidOperationException($"{hostname}: a device with a fresh uid exists");
        var body = new JsonObject
        {
            ["hostname"] = hostname, ["plan"] = plan, ["metro"] = metro, ["operating_system"] = os, ["billing_cycle"] = "hourly",
            ["userdata"] = userdata, ["tags"] = new JsonArray(ClusterTagPrefix + cluster, MachineTagPrefix + uid),
        };
        using var created = await packet.PostAsJsonAsync($"projects/{projectId}/devices", body, ct);
        created.EnsureSuccessStatusCode();
        var id = (await created.Content.ReadFromJsonAsync<JsonObject>(ct))!["id"]!.GetValue<string>();
        (await packet.GetAsync($"devices/{id}", ct)).EnsureSuccessStatusCode(); // waitForMachineReady, returning at once
        // The annotation update reconciles the Machine again: Exists, then Update's immutability check.
        await LookupAsync(cluster, uid, ct);
        await LookupAsync(cluster, uid, ct);
        _machines.Add((uid, id));
        return (uid, id);
    }

    /// <summary>GetDeviceByTags: every page of the project's devices, the first whose tags hold both.</summary>
    private async Task<JsonObject?> LookupAsync(string cluster, string uid, CancellationToken ct)
    {
        JsonObject? found = null;
        for (var page = 1; ; page++)
        {
            var body = (await packet.GetFromJsonAsync<JsonObject>($"projects/{projectId}/devices?page={page}", ct))!;
            foreach (var device in body["devices"]!.AsArray().OfType<JsonObject>())
            {
                var tags = device["tags"]?.AsArray().Select(t => t?.GetValue<string>()).ToHashSet() ?? [];
                if (found is null && tags.Contains(ClusterTagPrefix + cluster) && tags.Contains(MachineTagPrefix + uid)) found = device;
            }
            if (page >= (body["meta"]?["last_page"]?.GetValue<int>() ?? 1)) return found;
        }
    }

    private static string? PublicIpv4(JsonObject? device) =>
        device?["ip_addresses"]?.AsArray().OfType<JsonObject>()
            .FirstOrDefault(a => a["public"]?.GetValue<bool>() == true && a["address_family"]?.GetValue<int>() == 4)?["address"]?.GetValue<string>();

    private async Task PollAsync(Stopwatch clock, TimeSpan deadline, string what, CancellationToken ct)
    {
        if (clock.Elapsed + poll > deadline) throw new TimeoutException($"2019 flow: no {what} within {deadline.TotalSeconds:N0} s");
        await Task.Delay(poll, ct);
    }

    private static async Task<bool> AnswersAsync(IKubernetes client, CancellationToken ct)
    {
        try
        {
            await client.CoreV1.ListNamespaceAsync(limit: 1, cancellationToken: ct);
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or k8s.Autorest.HttpOperationException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task<int> ReadyNodesAsync(IKubernetes client, CancellationToken ct) =>
        (await client.CoreV1.ListNodeAsync(cancellationToken: ct)).Items.Count(n => n.Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true);

    /// <summary>kubeadm init with the cluster CA the actuator generated (the seed's userdata writes it; kubeadm makes the rest).</summary>
    private static string ControlPlaneUserdata(string hostname, CertificateAuthority ca) => $"""
        #cloud-config
        write_files:
        - path: /etc/kubernetes/pki/ca.crt
          permissions: '0644'
          encoding: b64
          content: {Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(ca.CertificatePem))}
        - path: /etc/kubernetes/pki/ca.key
          permissions: '0600'
          encoding: b64
          content: {Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(ca.PrivateKeyPem))}
        runcmd:
        - kubeadm init --node-name {hostname} --pod-network-cidr 192.168.0.0/16 --service-cidr 172.26.0.0/16
        """;

    /// <summary>The seed's worker join: the control plane's public IP, its own token, no CA pinning.</summary>
    private static string WorkerUserdata(string hostname, string masterIp, BootstrapToken token) => $"""
        #cloud-config
        runcmd:
        - kubeadm join {masterIp}:6443 --token {token.Value} --discovery-token-unsafe-skip-ca-verification --node-name {hostname}
        """;
}
