using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace PacketCluster.Simulator.State;

/// <summary>
/// Offsets into a configured CIDR range (already validated to be loopback / documentation space). In an IPv4 range
/// the network address (offset 0) and the broadcast address (the last) are never handed out, as on a real network:
/// <see cref="Fits"/> and <see cref="Reserve"/> leave them out; <see cref="At"/> still names them (a device's /31
/// block shows its network address).
/// </summary>
public sealed class AddressPool
{
    private readonly UInt128 _base;
    private readonly UInt128 _size;
    public bool IsV6 { get; }
    public string Cidr { get; }

    public AddressPool(string cidr)
    {
        var net = IPNetwork.Parse(cidr);
        Cidr = cidr;
        IsV6 = net.BaseAddress.AddressFamily == AddressFamily.InterNetworkV6;
        _base = ToNumber(net.BaseAddress);
        _size = (UInt128)1 << ((IsV6 ? 128 : 32) - net.PrefixLength);
    }

    /// <summary>The first offset that may be handed out: 1 in IPv4 (0 is the network address), 0 in IPv6.</summary>
    public UInt128 FirstUsable => IsV6 ? UInt128.Zero : UInt128.One;

    /// <summary>One past the last offset that may be handed out: the IPv4 broadcast address is excluded.</summary>
    private UInt128 EndUsable => IsV6 ? _size : _size - UInt128.One;

    public bool Fits(UInt128 offset, UInt128 count) => offset >= FirstUsable && offset + count <= EndUsable;

    /// <summary>The address at <paramref name="offset"/>, which must be one that may be handed out.</summary>
    public IPAddress Reserve(UInt128 offset) =>
        Fits(offset, 1) ? At(offset) : throw new PoolExhaustedException($"address pool {Cidr} is exhausted");

    public IPAddress At(UInt128 offset)
    {
        if (offset >= _size) throw new PoolExhaustedException($"address pool {Cidr} is exhausted");
        return FromNumber(_base + offset, IsV6);
    }

    public bool Contains(IPAddress address) =>
        (address.AddressFamily == AddressFamily.InterNetworkV6) == IsV6 && ToNumber(address) - _base < _size && ToNumber(address) >= _base;

    public UInt128 OffsetOf(IPAddress address) => ToNumber(address) - _base;

    internal static UInt128 ToNumber(IPAddress address)
    {
        var bytes = address.GetAddressBytes();
        return bytes.Length == 4 ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt128BigEndian(bytes);
    }

    internal static IPAddress FromNumber(UInt128 value, bool v6)
    {
        if (!v6)
        {
            var b4 = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(b4, (uint)value);
            return new IPAddress(b4);
        }
        var b16 = new byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(b16, value);
        return new IPAddress(b16);
    }

    public static string Netmask(int cidr)
    {
        var mask = cidr == 0 ? 0u : uint.MaxValue << (32 - cidr);
        return FromNumber(mask, false).ToString();
    }
}

public sealed class PoolExhaustedException(string message) : Exception(message);
