namespace PacketCluster.Engine.Manifests;

/// <summary>What <see cref="ProviderComponents.Render"/> needs. Holds the Packet API key: never logged or printed.</summary>
public sealed class ProviderComponentsOptions
{
    /// <summary>The cluster the credentials are for; labels the credentials Secret and machine-config ConfigMap. Optional.</summary>
    public string? ClusterName { get; init; }

    /// <summary>Packet project id, stored in the credentials Secret (key projectID).</summary>
    public string? ProjectId { get; init; }

    /// <summary>Packet API key, stored in the credentials Secret (key apiKey) and nowhere else.</summary>
    public string? ApiKey { get; init; }

    /// <summary>The machine-config catalogue (machine_configs.yaml) the manager mounts at /etc/machineconfig.</summary>
    public string? MachineConfigsYaml { get; init; }

    /// <summary>The manager image; default <c>ghcr.io/packetcluster/manager:&lt;Version&gt;</c>.</summary>
    public string? ManagerImage { get; init; }

    /// <summary>PacketCluster version: the default image tag and the app.kubernetes.io/version label. Default: the engine's version.</summary>
    public string? Version { get; init; }

    /// <summary>Packet API endpoint the manager talks to (env PACKET_API_URL), e.g. the simulator. Default: the manager's own default.</summary>
    public string? ApiUrl { get; init; }

    // Never print the API key (STYLE.md §3).
    public override string ToString() =>
        $"ProviderComponentsOptions(ClusterName={ClusterName}, ProjectId={ProjectId}, ApiKey={(string.IsNullOrEmpty(ApiKey) ? "<none>" : "<redacted>")}, Version={Version})";
}
