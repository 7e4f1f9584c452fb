using System.Collections.Concurrent;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Pki;

namespace PacketCluster.Engine.Controllers;

/// <summary>Why an active machine has no Node: a condition reason and a message that says what to do.</summary>
internal sealed record JoinProblem(string Reason, string Message);

/// <summary>
/// Says why an active machine never registers its Node, from what the engine can see from outside: the discovery
/// settings in the userdata the device boots with (Packet's <c>GET /devices/{id}/userdata</c>) against the running
/// cluster's CA, endpoint and bootstrap tokens. kubeadm's own refusal is on the serial console only, which the engine
/// cannot read. The userdata is read once per device and only its discovery settings are kept.
/// </summary>
internal sealed class JoinDiagnostics(ClusterReconcileContext context)
{
    /// <summary>
    /// A missing token is only a problem once kubeadm init has had time to make the initial ones after its API server
    /// answered; a wrong pin or endpoint is wrong at once.
    /// </summary>
    public static readonly TimeSpan TokenGrace = TimeSpan.FromMinutes(2);

    /// <summary>
    /// The NodeReady reasons that mean the machine's configuration keeps it out, not the machine: a replacement made
    /// from the same template may fail the same way, so health checks back off instead of replacing in a loop.
    /// </summary>
    public static readonly IReadOnlySet<string> ConfigurationFailures = new HashSet<string>(StringComparer.Ordinal)
    {
        "CaPinMismatch", "EndpointMismatch", "BootstrapTokenNotFound",
    };

    private readonly ConcurrentDictionary<string, JoinDiscovery?> _byDevice = new(StringComparer.Ordinal);

    /// <param name="waitingSince">Since when the machine's Node has not been Ready (the condition's transition time).</param>
    public async Task<JoinProblem?> DiagnoseAsync(string ns, string clusterName, string deviceId, Models.ClusterApi.ApiEndpoint endpoint,
        DateTimeOffset? waitingSince, CancellationToken ct)
    {
        if (!_byDevice.TryGetValue(deviceId, out var discovery))
        {
            try
            {
                discovery = JoinDiscovery.FromUserdata(await context.Packet.GetDeviceUserdataAsync(deviceId, ct).ConfigureAwait(false));
            }
            catch (Metal.PacketApiException e)
            {
                context.Log.Verbose($"Device {deviceId}: userdata not read to check its join settings ({e.ErrorId}); trying again later.");
                return null;
            }
            _byDevice[deviceId] = discovery;
        }
        // A first control plane runs kubeadm init: it joins nothing.
        if (discovery is null) return null;

        if (await ClusterSecrets.ReadCaCertificateAsync(context.Store, ns, clusterName, ct).ConfigureAwait(false) is { } ca)
        {
            var pin = SpkiPin.Compute(ca);
            if (!discovery.CaCertHashes.Contains(pin, StringComparer.OrdinalIgnoreCase))
                return new JoinProblem("CaPinMismatch",
                    $"The device's userdata pins the cluster CA as {Describe(discovery.CaCertHashes)}, but cluster '{clusterName}' serves a CA whose pin is {pin}. " +
                    "kubeadm join refuses an API server it cannot verify, so this machine never joins. Fix what wrote that userdata, then replace the machine (Remove-PacketMachine; its MachineDeployment makes a new one).");
        }

        var expected = KubeadmConfig.Endpoint(endpoint.Host!, endpoint.Port > 0 ? endpoint.Port : UserdataRequest.DefaultControlPlanePort);
        if (!string.Equals(discovery.ApiServerEndpoint, expected, StringComparison.OrdinalIgnoreCase))
            return new JoinProblem("EndpointMismatch",
                $"The device's userdata joins the API server at {discovery.ApiServerEndpoint ?? "(none)"}, but cluster '{clusterName}' answers at {expected}. Replace the machine (Remove-PacketMachine).");

        if (discovery.TokenId is { } tokenId && waitingSince is { } since && context.Time.GetUtcNow() - since >= TokenGrace)
        {
            try
            {
                if (!await context.Nodes.Clusters.BootstrapTokenExistsAsync(ns, clusterName, tokenId, ct).ConfigureAwait(false))
                    return new JoinProblem("BootstrapTokenNotFound",
                        $"The device's userdata joins with bootstrap token '{tokenId}', which cluster '{clusterName}' does not have (expired or deleted), so the API server refuses it. Replace the machine (Remove-PacketMachine) to get a new token.");
            }
            catch (Workload.WorkloadClusterUnavailableException)
            {
                // Not knowable now; the Node list that just worked will tell again on the next pass.
            }
        }
        return null;
    }

    /// <summary>The machine joined or is gone: its discovery settings are of no further use.</summary>
    public void Forget(string deviceId) => _byDevice.TryRemove(deviceId, out _);

    private static string Describe(IReadOnlyList<string> pins) => pins.Count == 0 ? "(nothing)" : string.Join(", ", pins);
}
