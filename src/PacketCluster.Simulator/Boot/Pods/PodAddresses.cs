using System.Net;
using System.Net.Sockets;

namespace PacketCluster.Simulator.Boot.Pods;

/// <summary>
/// Pod IPs from the Node's <c>spec.podCIDR</c> (allocated by kube-controller-manager), recorded in pod status as kwok
/// records them. They are never contacted: nothing listens on them, and probes, logs and the manager's own traffic use
/// loopback addresses. Without a pod CIDR (a cluster with no pod network) a pod gets the node's address, as a
/// host-network pod does.
/// </summary>
internal sealed class PodAddresses(string hostIp)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IPAddress> _byPod = [];
    private uint _network;
    private uint _size;
    private uint _next = 2; // .0 is the network, .1 the bridge a CNI plugin would keep.

    public string HostIp => hostIp;

    /// <summary>Sets the range once the Node has one (an IPv4 CIDR; others are ignored).</summary>
    public void UseCidr(string? cidr)
    {
        if (string.IsNullOrEmpty(cidr) || _size != 0) return;
        var slash = cidr.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(cidr[..slash], out var network) || network.AddressFamily != AddressFamily.InterNetwork
            || !int.TryParse(cidr[(slash + 1)..], out var bits) || bits is < 8 or > 30) return;
        lock (_gate)
        {
            var bytes = network.GetAddressBytes();
            _network = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]);
            _size = 1u << (32 - bits);
        }
    }

    public bool HasCidr { get { lock (_gate) return _size != 0; } }

    public string Allocate(string podUid)
    {
        lock (_gate)
        {
            if (_byPod.TryGetValue(podUid, out var known)) return known.ToString();
            if (_size == 0) return hostIp;
            var used = _byPod.Values.ToHashSet();
            for (uint tried = 0; tried < _size; tried++)
            {
                var offset = _next;
                _next = _next + 1 >= _size - 1 ? 2 : _next + 1;
                var candidate = FromNumber(_network + offset);
                if (used.Contains(candidate)) continue;
                _byPod[podUid] = candidate;
                return candidate.ToString();
            }
            return hostIp; // Full: more pods than the range holds; the scheduler's 110-pod limit keeps a /24 from getting here.
        }
    }

    public void Release(string podUid)
    {
        lock (_gate) _byPod.Remove(podUid);
    }

    private static IPAddress FromNumber(uint value) => new([(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value]);
}
