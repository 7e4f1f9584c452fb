using PacketCluster.Simulator.Config;
using PacketCluster.Simulator.State;

namespace PacketCluster.Simulator.Lifecycle;

/// <summary>
/// Plays the device state table (kwok's stages): each action is a list of states, each state lasts a sampled
/// duration, the last one is stable. Transitions are computed lazily from timestamps whenever the world is read
/// (<see cref="Advance"/>) rather than by a background ticker: a fake <see cref="TimeProvider"/> then drives the
/// whole lifecycle deterministically, nothing races a request, and a restart from state.json resumes at the
/// right point because every stage boundary is a stored instant.
/// </summary>
public sealed class DeviceLifecycle
{
    /// <summary>Sentinel final state: the device is removed from the world (deleted, or a failed device moved out of the project).</summary>
    public const string Gone = "gone";

    /// <summary>Which states each action plays, in order (packet-api.md §3.3).</summary>
    private static readonly Dictionary<string, string[]> Plays = new()
    {
        ["create"] = ["queued", "provisioning", "active"],
        ["power_off"] = ["powering_off", "inactive"],
        ["power_on"] = ["powering_on", "active"],
        // No enum value exists for rebooting (packet-api.md §3.3 UNCERTAIN): play a power cycle.
        ["reboot"] = ["powering_off", "powering_on", "active"],
        ["reinstall"] = ["reinstalling", "active"],
        ["rescue"] = ["reinstalling", "active"],
        ["delete"] = ["deprovisioning", Gone],
        ["fail"] = ["failed", Gone],
    };

    /// <summary>States from which an action may start (everything else answers 422).</summary>
    private static readonly Dictionary<string, string[]> AllowedFrom = new()
    {
        ["power_off"] = ["active"],
        ["power_on"] = ["inactive"],
        ["reboot"] = ["active"],
        ["reinstall"] = ["active", "inactive"],
        ["rescue"] = ["active"],
    };

    /// <summary>Provisioning steps with their bodies (packet-api.md §3 recorded sequence) and when they happen (fraction of provisioning).</summary>
    internal static readonly (string Type, string Body, double At)[] ProvisioningSteps =
    [
        ("provisioning.101", "Provisioning started", 0.0),
        ("provisioning.102", "Network configured with addresses {addresses}", 1 / 6.0),
        ("provisioning.103", "Configuration written, restarting device", 2 / 6.0),
        ("provisioning.104", "Connected to magic install system", 3 / 6.0),
        ("provisioning.107", "Server networking interfaces configured", 4 / 6.0),
        ("provisioning.109", "Installation finished, rebooting server", 5 / 6.0),
    ];

    private readonly Func<DeviceTimings> _timings;
    private readonly Random _random;

    public DeviceLifecycle(Func<DeviceTimings> timings, Random random)
    {
        _timings = timings;
        _random = random;
    }

    public static IReadOnlyCollection<string> Actions => AllowedFrom.Keys;

    public static bool CanStart(string action, string state) =>
        AllowedFrom.TryGetValue(action, out var from) && from.Contains(state);

    /// <summary>The actions a device in <paramref name="state"/> offers (Device.actions[]).</summary>
    public static IEnumerable<string> OfferedActions(string state) =>
        AllowedFrom.Where(kv => kv.Value.Contains(state)).Select(kv => kv.Key);

    /// <summary>Puts the device at the start of an action's play; all durations are sampled now, so a seed makes them reproducible.</summary>
    public void Start(DeviceRecord device, string action, DateTimeOffset now)
    {
        var states = Plays[action];
        device.Pending = states.Skip(1).Select(s => new PendingStage(s, DurationOf(s))).ToList();
        Enter(device, states[0], now, DurationOf(states[0]));
    }

    private TimeSpan? DurationOf(string state)
    {
        var t = _timings();
        Timing? timing = state switch
        {
            "queued" => t.Queued,
            "provisioning" => t.Provisioning,
            "powering_off" => t.PowerOff,
            "powering_on" => t.PowerOn,
            "reinstalling" => t.Reinstall,
            "deprovisioning" => t.Deprovisioning,
            "failed" => t.FailedVisible,
            _ => null,
        };
        return timing?.Sample(_random);
    }

    private static void Enter(DeviceRecord device, string state, DateTimeOffset at, TimeSpan? duration)
    {
        device.State = state;
        device.StateSince = at;
        device.StateDuration = duration;
        if (state == "provisioning")
        {
            device.ProvisioningStartedAt = at;
            device.ProvisioningDuration = duration;
        }
    }

    /// <summary>
    /// Walks the table up to <paramref name="now"/>, reporting each event at the instant it happened.
    /// Returns false when the device has reached <see cref="Gone"/>.
    /// </summary>
    public bool Advance(DeviceRecord device, DateTimeOffset now, Action<string, string, DateTimeOffset> emit)
    {
        while (device.StateDuration is { } duration && now >= device.StateSince + duration)
        {
            var endedAt = device.StateSince + duration;
            var ended = device.State;
            if (ended == "provisioning") EmitSteps(device, endedAt, emit);
            PendingStage next;
            if (ended == "provisioning" && device.WillFail)
            {
                // A provisioning fault rule: the device ends failed (403) and is then moved out of the project (404).
                next = new PendingStage("failed", DurationOf("failed"));
                device.Pending = [new PendingStage(Gone, null)];
                emit("provisioning.failed", "Provisioning failed", endedAt);
            }
            else if (device.Pending.Count > 0)
            {
                next = device.Pending[0];
                device.Pending.RemoveAt(0);
            }
            else
            {
                next = new PendingStage(ended, null);
            }
            Enter(device, next.State, endedAt, next.Duration);
            EmitFor(ended, next.State, endedAt, emit);
            if (next.State == Gone) return false;
        }
        if (device.State == "provisioning") EmitSteps(device, now, emit);
        return device.State != Gone;
    }

    /// <summary>Admin "fail now": the device fails at once, whatever it was doing.</summary>
    public void FailNow(DeviceRecord device, DateTimeOffset now, Action<string, string, DateTimeOffset> emit)
    {
        device.WillFail = true;
        Start(device, "fail", now);
        emit("provisioning.failed", "Provisioning failed", now);
    }

    private static void EmitFor(string from, string to, DateTimeOffset at, Action<string, string, DateTimeOffset> emit)
    {
        switch (to)
        {
            case "inactive": emit("instance.powered_off", "Device powered off", at); break;
            case "active" when from == "powering_on": emit("instance.powered_on", "Device powered on", at); break;
            case "active" when from == "reinstalling": emit("instance.reinstalled", "Device reinstalled", at); break;
            case Gone when from == "deprovisioning": emit("instance.deprovisioned", "Device deprovisioned", at); break;
        }
    }

    private static void EmitSteps(DeviceRecord device, DateTimeOffset until, Action<string, string, DateTimeOffset> emit)
    {
        if (device.ProvisioningStartedAt is not { } start || device.ProvisioningDuration is not { } duration) return;
        while (device.ProvisioningStepsEmitted < ProvisioningSteps.Length)
        {
            var step = ProvisioningSteps[device.ProvisioningStepsEmitted];
            var at = StepTime(start, duration, step.At);
            if (at > until) break;
            emit(step.Type, step.Body, at);
            device.ProvisioningStepsEmitted++;
        }
    }

    internal static DateTimeOffset StepTime(DateTimeOffset start, TimeSpan duration, double fraction) =>
        start + TimeSpan.FromTicks((long)(duration.Ticks * fraction));

    /// <summary>Device.provisioning_percentage: only while provisioning (packet-api.md §3.2).</summary>
    public static double? ProvisioningPercentage(DeviceRecord device, DateTimeOffset now)
    {
        if (device.State != "provisioning" || device.StateDuration is not { } d || d <= TimeSpan.Zero) return null;
        var fraction = Math.Clamp((now - device.StateSince) / d, 0, 1);
        return Math.Round(fraction * 100, 4);
    }
}
