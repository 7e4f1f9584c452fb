using PacketCluster.Simulator.Boot.Kubelet;

namespace PacketCluster.Simulator.Boot;

/// <summary>Starts the simulated kubelet of a booted machine; disposing the result stops it.</summary>
public interface IKubeletLauncher
{
    IAsyncDisposable Start(KubeletJoinRequest request, IConsoleLog console);
}

/// <summary>
/// The simulated kubelet (<see cref="SimulatedKubelet"/>): joins for real with the token or the node certificate, then
/// runs the pods bound to its Node (<paramref name="images"/> says which run for real).
/// </summary>
public sealed class SimulatedKubeletLauncher(Pods.ContainerImages? images = null) : IKubeletLauncher
{
    private readonly SimulatedKubeletOptions _options = SimulatedKubeletOptions.Default with { Images = images ?? Pods.ContainerImages.None };

    public IAsyncDisposable Start(KubeletJoinRequest request, IConsoleLog console) => SimulatedKubelet.Start(request, console, _options);
}
