using System.Runtime.InteropServices;

namespace PacketCluster.Engine.Simulation;

/// <summary>
/// The portable runtime identifier of this process (linux-x64, osx-arm64, win-x64, …): the name of the folder a
/// self-contained build for it lives in. Read from the OS and the process architecture rather than
/// <see cref="RuntimeInformation.RuntimeIdentifier"/>, which a distribution's own .NET build reports with its
/// distribution name (ubuntu.24.04-x64).
/// </summary>
public static class SimulatorPlatform
{
    /// <summary>The five platforms the release builds the simulator and the manager for.</summary>
    public static readonly IReadOnlyList<string> Released = ["linux-x64", "linux-arm64", "osx-x64", "osx-arm64", "win-x64"];

    public static string Current => Of(OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux", RuntimeInformation.ProcessArchitecture);

    internal static string Of(string os, Architecture architecture) => $"{os}-{architecture.ToString().ToLowerInvariant()}";
}
