namespace PacketCluster.Engine.Simulation;

/// <summary>How to start the Packet API simulator as a background process.</summary>
public sealed record SimulatorLaunchOptions
{
    /// <summary>
    /// The simulator: its self-contained executable (what the module ships, one per platform), or a framework-dependent
    /// PacketCluster.Simulator.dll, which runs under the dotnet host (builds and tests).
    /// </summary>
    public required string SimulatorPath { get; init; }
    /// <summary>Loopback port; 0 picks a free one.</summary>
    public int Port { get; init; }
    public string? ConfigFile { get; init; }
    public string? StateDirectory { get; init; }
    public int? Seed { get; init; }
    /// <summary>Where the simulator's own log goes.</summary>
    public required string LogFile { get; init; }
    /// <summary>How long to wait for the simulator to report its address.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>What a started simulator reported. <see cref="ApiKey"/> is the session's key: hand it on, never print it.</summary>
public sealed record SimulatorProcessInfo(Uri Endpoint, string ApiKey, string ProjectId, Uri? AdminEndpoint, int ProcessId, string LogFile)
{
    /// <summary>When the process started (UTC), as the OS reports it: with the pid, it tells this simulator from a later process given the same id.</summary>
    public DateTimeOffset StartTime { get; init; }

    public override string ToString() => $"simulator {ProcessId} at {Endpoint}";
}
