using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;
using PacketCluster.Simulator.Boot.Kubelet;
using PacketCluster.Simulator.State;

namespace PacketCluster.Simulator.Boot;

/// <summary>
/// Boots devices as they become active (PRODUCT.md §7 Booting). The device lifecycle is computed lazily from
/// timestamps, so a background loop ticks the world twice a second and reconciles: a device that is active and not
/// booted boots from its userdata; one that left <c>active</c> stops its processes (and loses its root folder
/// when it is deprovisioned, reinstalled or failed); elastic IPs assigned to a booted control plane are routed to it.
/// Disposing stops every machine and removes the folder that holds all device roots.
/// </summary>
public sealed class DeviceBooter : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);
    private const int MaxAddressesPerReservation = 64;

    private readonly World _world;
    private readonly bool _enabled;
    private readonly KubeBinaries _binaries;
    private readonly IKubeletLauncher _kubelets;
    private readonly ConcurrentDictionary<string, ConsoleLog> _consoles = new();
    private readonly Dictionary<string, Machine> _machines = [];
    private readonly SemaphoreSlim _reconcile = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private readonly ILogger? _logger;

    public DeviceBooter(World world, bool enabled, KubeBinaries binaries, IKubeletLauncher kubelets, ILogger? logger = null, string? rootParent = null)
    {
        _logger = logger;
        _world = world;
        _enabled = enabled;
        _binaries = binaries;
        _kubelets = kubelets;
        RootDirectory = Path.Combine(rootParent ?? Path.GetTempPath(), $"packetcluster-sim-machines-{Guid.NewGuid():N}");
    }

    /// <summary>Holds one folder per booted device (its file system); removed on dispose.</summary>
    public string RootDirectory { get; }
    public bool Enabled => _enabled;
    public KubeBinaries Binaries => _binaries;

    public void Start() => _loop = Task.Run(LoopAsync);

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            do
            {
                try
                {
                    await ReconcileAsync();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // One bad pass (a folder that cannot be created, …) must not end booting for good.
                    _logger?.LogWarning("Device boot reconcile failed: {Error}", e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token));
        }
        catch (OperationCanceledException) { /* disposed */ }
    }

    /// <summary>The console text of a device; null when the simulator has never seen it.</summary>
    public string? ConsoleText(string deviceId)
    {
        if (_consoles.TryGetValue(deviceId, out var console)) return console.Text();
        lock (_world.Gate) return _world.FindDevice(deviceId) is null ? null : "";
    }

    internal Machine? Machine(string deviceId)
    {
        lock (_machines) return _machines.GetValueOrDefault(deviceId);
    }

    private ConsoleLog Console(string deviceId) => _consoles.GetOrAdd(deviceId, _ => new ConsoleLog());

    /// <summary>One reconcile pass; public so a test can force one instead of waiting for the timer.</summary>
    public async Task ReconcileAsync()
    {
        if (!await _reconcile.WaitAsync(0)) return;
        try
        {
            var (devices, elastic) = Snapshot();
            var byId = devices.ToDictionary(d => d.Id);
            var stopping = new List<(Machine Machine, bool RemoveRoot)>();
            lock (_machines)
            {
                foreach (var (id, machine) in _machines.ToList())
                {
                    var device = byId.GetValueOrDefault(id);
                    if (device?.State == "active") continue;
                    var removeRoot = device is null || device.State is "deprovisioning" or "reinstalling" or "failed";
                    Console(id).WriteLine(device is null ? "boot: device deleted; stopping" : $"boot: device is {device.State}; stopping");
                    stopping.Add((machine, removeRoot));
                    _machines.Remove(id);
                }
                foreach (var device in devices.Where(d => d.State == "active" && !_machines.ContainsKey(d.Id)))
                {
                    var console = Console(device.Id);
                    if (!_enabled)
                    {
                        if (console.Lines().Count == 0)
                            console.WriteLine("boot: booting is off (SimulatorConfig boot.enabled: false); the userdata is not run");
                        continue;
                    }
                    var machine = new Machine(device, new MachineRoot(Path.Combine(RootDirectory, device.Id)), console, _binaries, _kubelets, elastic);
                    _machines[device.Id] = machine;
                    machine.Start();
                }
            }
            // Stopping a control plane takes seconds; an elastic IP moved off it must reach its new holder meanwhile.
            var stopped = Task.WhenAll(stopping.Select(s => StopAsync(s.Machine, s.RemoveRoot)));

            List<(Machine, DeviceView)> routed;
            lock (_machines) routed = _machines.Values.Select(m => (m, byId[m.DeviceId])).ToList();
            foreach (var (machine, device) in routed) await machine.RouteElasticIpsAsync(device.ElasticIps);
            await stopped;
        }
        finally
        {
            _reconcile.Release();
        }
    }

    private static async Task StopAsync(Machine machine, bool removeRoot)
    {
        await machine.DisposeAsync();
        if (removeRoot) machine.Root.Delete();
    }

    private (List<DeviceView> Devices, List<string> ElasticIps) Snapshot()
    {
        lock (_world.Gate)
        {
            _world.Tick();
            var data = _world.Data;
            var devices = data.Devices.Select(d => new DeviceView(
                d.Id, d.Hostname, d.State, d.Userdata,
                _world.PublicIpv4.At((UInt128)(2 * d.AddressIndex + 1)),
                _world.PrivateIpv4.At((UInt128)(2 * d.AddressIndex + 1)),
                data.Assignments.Where(a => a.DeviceId == d.Id).SelectMany(a => Addresses(a.Address, a.Cidr)).ToList(),
                NodeCapacity.FromPlanSpecs(_world.Catalogue.FindPlan(d.Plan)?.Specs))).ToList();
            var elastic = data.Reservations.SelectMany(r => Addresses(r.Network, r.Cidr)).Select(a => a.ToString()).ToList();
            return (devices, elastic);
        }
    }

    /// <summary>The addresses of a block (a /32 is one address), at most <see cref="MaxAddressesPerReservation"/>.</summary>
    private static IEnumerable<IPAddress> Addresses(string network, int cidr)
    {
        var start = AddressPool.ToNumber(IPAddress.Parse(network));
        var count = Math.Min(1L << (32 - cidr), MaxAddressesPerReservation);
        for (var i = 0L; i < count; i++) yield return AddressPool.FromNumber(start + (UInt128)i, v6: false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _reconcile.WaitAsync(TimeSpan.FromSeconds(120));
        List<Machine> machines;
        lock (_machines)
        {
            machines = _machines.Values.ToList();
            _machines.Clear();
        }
        await Task.WhenAll(machines.Select(m => StopAsync(m, removeRoot: true)));
        try
        {
            if (Directory.Exists(RootDirectory)) Directory.Delete(RootDirectory, recursive: true);
        }
        catch (IOException) { /* best effort; every machine root is already gone */ }
        _stop.Dispose();
    }
}
