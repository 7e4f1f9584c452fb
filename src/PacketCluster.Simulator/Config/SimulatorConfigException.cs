namespace PacketCluster.Simulator.Config;

/// <summary>The configuration cannot be used; the message says which key and why. The console exits 2 on it.</summary>
public sealed class SimulatorConfigException : Exception
{
    public SimulatorConfigException(string message, Exception? inner = null) : base(message, inner) { }
}
