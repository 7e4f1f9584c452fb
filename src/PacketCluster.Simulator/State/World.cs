using System.Security.Cryptography;
using System.Text;
using PacketCluster.Simulator.Config;
using PacketCluster.Simulator.Lifecycle;

namespace PacketCluster.Simulator.State;

/// <summary>
/// The simulated account: one project, its SSH keys, devices, IP reservations and events, plus the catalogue.
/// One lock guards it (requests are tiny; correctness beats throughput here). Every read first brings devices
/// up to "now" (<see cref="Tick"/>); every mutation is saved to the state file before the response is sent.
/// </summary>
public sealed class World
{
    public object Gate { get; } = new();
    public Catalogue.Catalogue Catalogue { get; }
    public TimeProvider Clock { get; }
    public DeviceLifecycle Lifecycle { get; }
    public WorldRecord Data { get; private set; }
    public SimulatorConfig Config { get; }
    public AddressPool PublicIpv4 { get; }
    public AddressPool PrivateIpv4 { get; }
    public AddressPool PublicIpv6 { get; }
    public AddressPool ElasticIpv4 { get; }

    private readonly Random _random;
    private readonly StateFile? _stateFile;

    public World(SimulatorConfig config, Catalogue.Catalogue catalogue, TimeProvider clock, int seed, StateFile? stateFile)
    {
        Config = config;
        Catalogue = catalogue;
        Clock = clock;
        _random = new Random(seed);
        _stateFile = stateFile;
        Lifecycle = new DeviceLifecycle(() => Config.Timings, _random);
        PublicIpv4 = new AddressPool(config.Addresses.PublicIpv4);
        PrivateIpv4 = new AddressPool(config.Addresses.PrivateIpv4);
        PublicIpv6 = new AddressPool(config.Addresses.PublicIpv6);
        ElasticIpv4 = new AddressPool(config.Addresses.ElasticIpv4);
        Data = stateFile?.Load() ?? NewWorld(projectId: null);
    }

    public DateTimeOffset Now => Clock.GetUtcNow();

    public Random Random => _random;

    /// <summary>A random (v4-shaped) UUID from the seeded generator, so a seed reproduces ids.</summary>
    public string NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true).ToString();
    }

    /// <summary>A stable UUID derived from a name (for events, whose ids must not depend on when they were observed).</summary>
    public static string DerivedId(string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(name));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true).ToString();
    }

    public string NewSecret(int length = 16)
    {
        const string alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
        return string.Create(length, _random, (span, r) => { for (var i = 0; i < span.Length; i++) span[i] = alphabet[r.Next(alphabet.Length)]; });
    }

    private WorldRecord NewWorld(string? projectId)
    {
        var now = Now;
        var world = new WorldRecord
        {
            Project = new ProjectRecord
            {
                Id = projectId ?? NewId(),
                Name = "packetcluster-simulator",
                CreatedAt = now,
                OrganizationId = NewId(),
                UserId = NewId(),
                UserEmail = "simulator@example.com",
            },
        };
        world.SshKeys.Add(new SshKeyRecord
        {
            Id = NewId(),
            Label = "simulator-project-key",
            // A syntactically valid public key; its private half does not exist (no device is ever reachable by SSH).
            Key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEyXk7gyvx0tMVBOZ2ZXc2ltdWxhdG9yLXByb2plY3Qta2V5 simulator@packetcluster",
            Fingerprint = "",
            Owner = "project",
            CreatedAt = now,
            UpdatedAt = now,
        });
        world.SshKeys[0].Fingerprint = Fingerprint(world.SshKeys[0].Key);
        return world;
    }

    /// <summary>Forget every device, IP and event; keep the project id (clients hold it); restore the seeded key.</summary>
    public void Reset()
    {
        Data = NewWorld(Data.Project.Id);
        Save();
    }

    public void Save() => _stateFile?.Save(Data);

    /// <summary>Brings every device's state up to now; removes the ones that reached the end of their table.</summary>
    public void Tick()
    {
        var now = Now;
        for (var i = Data.Devices.Count - 1; i >= 0; i--)
        {
            var device = Data.Devices[i];
            var alive = Lifecycle.Advance(device, now, (type, body, at) => AddEvent(device, type, body, at));
            if (!alive) RemoveDevice(device);
        }
    }

    private void RemoveDevice(DeviceRecord device)
    {
        Data.Devices.Remove(device);
        Data.Assignments.RemoveAll(a => a.DeviceId == device.Id);
    }

    public void AddEvent(DeviceRecord device, string type, string body, DateTimeOffset at)
    {
        body = body.Replace("{addresses}", string.Join(", ", ManagementAddresses(device)));
        Data.Events.Add(new EventRecord
        {
            // Derived from facts only, so an event recomputed after a restart keeps the id a client already saw.
            Id = DerivedId($"{device.Id}/{type}/{at.UtcTicks}"),
            Type = type,
            Body = body,
            CreatedAt = at,
            DeviceId = device.Id,
        });
    }

    public DeviceRecord? FindDevice(string id) => Data.Devices.FirstOrDefault(d => d.Id == id);

    public IEnumerable<string> ManagementAddresses(DeviceRecord device)
    {
        yield return PublicIpv4.At((UInt128)(2 * device.AddressIndex + 1)).ToString();
        yield return PublicIpv6.At((UInt128)(2 * device.AddressIndex + 1)).ToString();
        yield return PrivateIpv4.At((UInt128)(2 * device.AddressIndex + 1)).ToString();
    }

    /// <summary>Servers of a plan still free in a facility: catalogue capacity minus devices that hold one.</summary>
    public int FreeServers(Catalogue.PlanEntry plan, Catalogue.FacilityEntry facility)
    {
        if (!plan.Availability.TryGetValue(facility.Code, out var total)) return 0;
        var used = Data.Devices.Count(d => d.Plan == plan.Slug && d.Facility == facility.Code && d.State != "failed");
        return Math.Max(0, total - used);
    }

    public static string Fingerprint(string publicKey)
    {
        var parts = publicKey.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        byte[] blob;
        try { blob = parts.Length > 1 ? Convert.FromBase64String(parts[1]) : Encoding.UTF8.GetBytes(publicKey); }
        catch (FormatException) { blob = Encoding.UTF8.GetBytes(publicKey); }
        // Packet shows the colon-separated MD5 form.
        return string.Join(':', MD5.HashData(blob).Select(b => b.ToString("x2")));
    }
}
