using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using PacketCluster.Engine.Store;

namespace PacketCluster.Engine.Simulation;

/// <summary>
/// The simulators Start-PacketSimulator started, so Get-PacketSimulator finds them again from any session: one folder
/// per simulator under <c>&lt;state root&gt;/.simulators</c> (PACKETCLUSTER_HOME, else ~/.packetcluster), holding
/// <c>simulator.json</c> (mode 0600: it holds the simulator's API key) and, for a simulator without a state folder,
/// its log. The leading dot keeps the folder apart from cluster folders (cluster names cannot start with one).
/// </summary>
public static class SimulatorRegistry
{
    public const string FolderName = ".simulators";
    public const string RecordFileName = "simulator.json";
    public const string LogFileName = "simulator.log";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static string Root(string? stateRoot = null) => Path.Combine(stateRoot ?? StateLocation.ResolveRoot(null), FolderName);

    /// <summary>A new folder for one simulator's record (and log, when it has no state folder).</summary>
    public static string NewRunDirectory(string? stateRoot = null)
    {
        var root = Root(stateRoot);
        AtomicFile.CreatePrivateDirectory(Path.GetDirectoryName(root)!);
        AtomicFile.CreatePrivateDirectory(root);
        var run = Path.Combine(root, $"{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}-{Guid.NewGuid().ToString("N")[..6]}");
        AtomicFile.CreatePrivateDirectory(run);
        return run;
    }

    /// <summary>Records a started simulator in <paramref name="runDirectory"/>.</summary>
    public static void Register(string runDirectory, SimulatorRecord record)
    {
        var path = Path.Combine(runDirectory, RecordFileName);
        var temp = path + ".tmp";
        var text = JsonSerializer.Serialize(record, Json);
        using (var stream = OperatingSystem.IsWindows()
            ? new FileStream(temp, FileMode.Create, FileAccess.Write)
            : new FileStream(temp, new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = AtomicFile.PrivateFile }))
        using (var writer = new StreamWriter(stream))
            writer.Write(text);
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// The recorded simulators that still run (same process id and start time, and the process is a simulator).
    /// Records of simulators that are gone are removed (their logs stay).
    /// </summary>
    public static IReadOnlyList<SimulatorRecord> Running(string? stateRoot = null)
    {
        var root = Root(stateRoot);
        if (!Directory.Exists(root)) return Array.Empty<SimulatorRecord>();
        var running = new List<SimulatorRecord>();
        foreach (var file in Directory.EnumerateFiles(root, RecordFileName, SearchOption.AllDirectories))
        {
            var record = Read(file);
            if (record is not null && SimulatorLauncher.IsRunning(record.ProcessId, record.StartTime)) running.Add(record);
            else TryDelete(file);
        }
        return running.OrderBy(r => r.StartTime).ToList();
    }

    /// <summary>The record of the running simulator with this process id, or null.</summary>
    public static SimulatorRecord? Find(int processId, string? stateRoot = null) =>
        Running(stateRoot).FirstOrDefault(r => r.ProcessId == processId);

    /// <summary>Forgets a stopped simulator (its log stays).</summary>
    public static void Unregister(int processId, DateTimeOffset? startTime, string? stateRoot = null)
    {
        var root = Root(stateRoot);
        if (!Directory.Exists(root)) return;
        foreach (var file in Directory.EnumerateFiles(root, RecordFileName, SearchOption.AllDirectories))
        {
            if (Read(file) is { } record && record.ProcessId == processId && (startTime is null || (record.StartTime - startTime.Value).Duration() < TimeSpan.FromSeconds(2)))
                TryDelete(file);
        }
    }

    private static SimulatorRecord? Read(string file)
    {
        try { return JsonSerializer.Deserialize<SimulatorRecord>(File.ReadAllText(file), Json); }
        catch (JsonException) { return null; }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    private static void TryDelete(string file)
    {
        try { File.Delete(file); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>What the registry keeps of one started simulator. <see cref="ApiKey"/> is its session key: never print it.</summary>
public sealed record SimulatorRecord
{
    public int ProcessId { get; init; }
    public DateTimeOffset StartTime { get; init; }
    public required Uri Endpoint { get; init; }
    public Uri? AdminEndpoint { get; init; }
    public required string ProjectId { get; init; }
    public required string ApiKey { get; init; }
    public string? StateDirectory { get; init; }
    public string? LogFile { get; init; }
    public override string ToString() => $"simulator {ProcessId} at {Endpoint}";
}
