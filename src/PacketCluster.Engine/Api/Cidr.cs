using System.Net;
using System.Net.Sockets;
using System.Numerics;

namespace PacketCluster.Engine.Api;

/// <summary>An IPv4 or IPv6 network in CIDR notation.</summary>
public sealed record Cidr(IPAddress Network, int PrefixLength)
{
    public static bool TryParse(string? text, out Cidr? cidr, out string? error)
    {
        cidr = null;
        error = null;
        var slash = text?.IndexOf('/') ?? -1;
        if (string.IsNullOrWhiteSpace(text) || slash <= 0)
        {
            error = $"'{text}' is not in CIDR notation (address/prefix, e.g. 172.25.0.0/16)";
            return false;
        }
        if (!IPAddress.TryParse(text[..slash], out var address) || text[..slash].Count(c => c == '.') is not (0 or 3))
        {
            error = $"'{text}' does not start with a valid IP address";
            return false;
        }
        var bits = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (!int.TryParse(text[(slash + 1)..], out var prefix) || prefix < 0 || prefix > bits)
        {
            error = $"'{text}' has an invalid prefix length (0–{bits})";
            return false;
        }
        var network = Mask(address, prefix);
        if (!network.Equals(address))
        {
            error = $"'{text}' has host bits set; did you mean {network}/{prefix}?";
            return false;
        }
        cidr = new Cidr(network, prefix);
        return true;
    }

    public bool Overlaps(Cidr other)
    {
        if (Network.AddressFamily != other.Network.AddressFamily) return false;
        var shorter = Math.Min(PrefixLength, other.PrefixLength);
        return Mask(Network, shorter).Equals(Mask(other.Network, shorter));
    }

    /// <summary>The n-th address of the network (e.g. 10 gives the cluster DNS service address).</summary>
    public IPAddress AddressAt(int offset)
    {
        var bytes = Network.GetAddressBytes();
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true) + offset;
        var raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var result = new byte[bytes.Length];
        Array.Copy(raw, 0, result, result.Length - raw.Length, raw.Length);
        return new IPAddress(result);
    }

    private static IPAddress Mask(IPAddress address, int prefix)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - i * 8, 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }
        return new IPAddress(bytes);
    }

    public override string ToString() => $"{Network}/{PrefixLength}";
}
