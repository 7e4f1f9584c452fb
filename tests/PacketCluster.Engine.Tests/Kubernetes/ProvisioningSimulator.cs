using PacketCluster.Engine.Api;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Models;
using PacketCluster.Simulator.Config;
using PacketCluster.Simulator.Hosting;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>
/// A simulator with booting off and sub-second timings, for the tests whose clusters only need devices (the manager,
/// the pivot, the bootstrap cluster) while their objects live in the real API server.
/// </summary>
internal sealed class ProvisioningSimulator : IAsyncDisposable
{
    private ProvisioningSimulator(SimulatorHost host)
    {
        Host = host;
        Session = new PacketSession(new PacketApiOptions { Endpoint = host.BaseUrl, ApiKey = host.ApiKey, ProjectId = host.ProjectId }, "test");
    }

    public SimulatorHost Host { get; }
    public PacketSession Session { get; }

    public static async Task<ProvisioningSimulator> StartAsync(int seed) => new(await SimulatorHost.StartAsync(new SimulatorOptions
    {
        Seed = seed,
        Config = new SimulatorConfig
        {
            Boot = new BootConfig { Enabled = false },
            Timings = new DeviceTimings
            {
                Queued = new Timing(TimeSpan.FromMilliseconds(100)),
                Provisioning = new Timing(TimeSpan.FromMilliseconds(500)),
                Deprovisioning = new Timing(TimeSpan.FromMilliseconds(100)),
            },
        },
    }));

    /// <summary>One control plane and <paramref name="workers"/> workers in metro sv, Kubernetes 1.20.2.</summary>
    public PacketClusterConfig Definition(string name, int workers) => ClusterConfigGenerator.Generate(new ClusterConfigRequest
    {
        Name = name, ProjectId = Host.ProjectId, ApiKey = Host.ApiKey, Metro = "sv", Plan = "c3.small.x86",
        OperatingSystem = "ubuntu_22_04", KubernetesVersion = "1.20.2", WorkerCount = workers,
        SshPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 t",
    }, MachineConfigCatalogue.LoadShipped()).Config;

    /// <summary>The cluster's devices that are not on their way out.</summary>
    public async Task<IReadOnlyList<Device>> DevicesAsync(string clusterName)
    {
        using var client = Session.CreateClient(NullEngineLog.Instance);
        return (await client.FindDevicesByTagAsync(Host.ProjectId, DeviceTags.ClusterId(clusterName))).Where(d => d.State != "deprovisioning").ToList();
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
