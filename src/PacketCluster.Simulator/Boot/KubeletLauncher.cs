namespace PacketCluster.Simulator.Boot;

/// <summary>Starts the simulated kubelet of a booted machine; disposing the result stops it.</summary>
public interface IKubeletLauncher
{
    IAsyncDisposable Start(KubeletJoinRequest request, IConsoleLog console);
}

/// <summary>The default until a kubelet is wired in: says so on the machine's console and does nothing.</summary>
public sealed class UnavailableKubeletLauncher : IKubeletLauncher
{
    public IAsyncDisposable Start(KubeletJoinRequest request, IConsoleLog console)
    {
        console.WriteLine($"kubelet: not available in this build (node {request.NodeName} does not register)");
        return Nothing.Instance;
    }

    private sealed class Nothing : IAsyncDisposable
    {
        public static readonly Nothing Instance = new();
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
