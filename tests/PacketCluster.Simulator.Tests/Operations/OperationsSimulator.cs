using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Models;
using PacketCluster.Simulator.Config;
using PacketCluster.Simulator.Hosting;

namespace PacketCluster.Simulator.Tests.Operations;

/// <summary>
/// The simulator the operations tests run against: fast device timings and no booting (these tests are about the
/// engine's operations; booting would start real control planes), with a session on it.
/// </summary>
internal sealed record OperationsSimulator(SimulatorHost Host, PacketSession Session)
{
    public static async Task<OperationsSimulator> StartAsync(int seed, TimeSpan queued, TimeSpan provisioning, TimeSpan deprovisioning)
    {
        var host = await SimulatorHost.StartAsync(new SimulatorOptions
        {
            Seed = seed,
            Config = new SimulatorConfig
            {
                Timings = new DeviceTimings { Queued = new Timing(queued), Provisioning = new Timing(provisioning), Deprovisioning = new Timing(deprovisioning) },
                Boot = new BootConfig { Enabled = false },
            },
        });
        return new OperationsSimulator(host, new PacketSession(new PacketApiOptions { Endpoint = host.BaseUrl, ApiKey = host.ApiKey, ProjectId = host.ProjectId }, "test"));
    }

    private const string TestKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 t";

    /// <summary>A quick-form definition in metro sv (1 control plane + <paramref name="workers"/>), Kubernetes 1.20.2.</summary>
    public PacketClusterConfig Definition(string name, int workers) => Generate(name, workers, TestKey).Config;

    /// <summary>The same, as New-PacketCluster's quick form makes it: without a key, a key pair is generated.</summary>
    public GeneratedClusterConfig Generate(string name, int workers, string? sshPublicKey) => ClusterConfigGenerator.Generate(new ClusterConfigRequest
    {
        Name = name, ProjectId = Host.ProjectId, ApiKey = Host.ApiKey, Metro = "sv", Plan = "c3.small.x86",
        OperatingSystem = "ubuntu_22_04", KubernetesVersion = "1.20.2", WorkerCount = workers, SshPublicKey = sshPublicKey,
    }, MachineConfigCatalogue.LoadShipped());
}
