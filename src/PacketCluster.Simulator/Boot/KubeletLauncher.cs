using PacketCluster.Simulator.Boot.Kubelet;

namespace PacketCluster.Simulator.Boot;

/// <summary>Starts the simulated kubelet of a booted machine; disposing the result stops it.</summary>
public interface IKubeletLauncher
{
    IAsyncDisposable Start(KubeletJoinRequest request, IConsoleLog console);
}

/// <summary>The simulated kubelet (<see cref="SimulatedKubelet"/>): joins for real with the token or the node certificate.</summary>
public sealed class SimulatedKubeletLauncher : IKubeletLauncher
{
    public IAsyncDisposable Start(KubeletJoinRequest request, IConsoleLog console) => SimulatedKubelet.Start(request, console);
}
