using System.Net;
using System.Net.Sockets;
using PacketCluster.Simulator.Config;

namespace PacketCluster.Simulator.Hosting;

/// <summary>
/// Which loopback address block this simulator hands out. Two simulators on one machine (two CI jobs on one runner, a
/// developer's simulator beside a test run) with the default pools handed out the same device addresses, so the second
/// one's control planes could not bind. Each running simulator holds one slot — an exclusive lock on a file in the
/// temp folder, released when the process ends however it ends — and slot n moves the default pools to their own /16s.
/// Pools a config sets itself are kept as they are.
/// </summary>
public sealed class AddressSlot : IDisposable
{
    /// <summary>Slot 0 keeps the documented defaults (127.50/16, 127.55/16, 127.60/16); slots 1… use 127.100/16 and up, three /16s each.</summary>
    public const int MaxSlot = 51;

    private readonly FileStream? _lock;

    private AddressSlot(int number, FileStream? held) => (Number, _lock) = (number, held);

    public int Number { get; }

    public static string LockDirectory => Path.Combine(Path.GetTempPath(), "packetcluster-simulator-slots");

    /// <summary>
    /// Takes the first free slot (or <paramref name="preferred"/>, the one a state folder's devices were numbered in) and
    /// moves <paramref name="config"/>'s default pools into it. A config with pools of its own takes no slot.
    /// </summary>
    public static AddressSlot Claim(SimulatorConfig config, int? preferred)
    {
        var defaults = new AddressRanges();
        var addresses = config.Addresses;
        if (addresses.PublicIpv4 != defaults.PublicIpv4 || addresses.PrivateIpv4 != defaults.PrivateIpv4 || addresses.ElasticIpv4 != defaults.ElasticIpv4)
            return new AddressSlot(-1, null);
        Directory.CreateDirectory(LockDirectory);
        var order = preferred is { } p ? [p] : Enumerable.Range(0, MaxSlot + 1);
        foreach (var n in order)
        {
            if (TryLock(n) is not { } held) continue;
            if (n > 0)
            {
                var b = 100 + 3 * (n - 1);
                addresses.PublicIpv4 = $"127.{b}.0.0/16";
                addresses.PrivateIpv4 = $"127.{b + 1}.0.0/16";
                addresses.ElasticIpv4 = $"127.{b + 2}.0.0/16";
            }
            return new AddressSlot(n, held);
        }
        throw new SimulatorConfigException(preferred is { } busy
            ? $"the address block {busy} this state folder's devices use is held by another running simulator; stop it, or start this one without the state folder"
            : $"all {MaxSlot + 1} loopback address blocks are held by running simulators (locks in {LockDirectory}); stop one, or set addresses: in the config");
    }

    private static FileStream? TryLock(int n)
    {
        try
        {
            // FileShare.None is an exclusive flock on Unix: the kernel drops it when the process dies.
            return new FileStream(Path.Combine(LockDirectory, $"slot-{n}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Whether the ports a booted device listens on are free on <paramref name="address"/> (something outside the simulator may hold them).</summary>
    public static bool PortsFree(IPAddress address, IEnumerable<int> ports)
    {
        foreach (var port in ports)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try { socket.Bind(new IPEndPoint(address, port)); }
            catch (SocketException) { return false; }
        }
        return true;
    }

    public void Dispose() => _lock?.Dispose();
}
