using System.Text.Json;

namespace PacketCluster.Simulator.State;

/// <summary>
/// state.json in the state directory. Written atomically (temp file, flush to disk, rename) so a kill mid-write
/// leaves the previous state, never a torn file; mode 0600 (PRODUCT.md §10: state files are private).
/// </summary>
public sealed class StateFile
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = false };
    private readonly string _path;

    public StateFile(string directory)
    {
        Directory.CreateDirectory(directory);
        _path = Path.Combine(directory, "state.json");
    }

    public string Path_ => _path;

    public WorldRecord? Load()
    {
        if (!File.Exists(_path)) return null;
        try { return JsonSerializer.Deserialize<WorldRecord>(File.ReadAllBytes(_path), Json); }
        catch (JsonException e)
        {
            throw new Config.SimulatorConfigException($"state file {_path} is corrupt: {e.Message}", e);
        }
    }

    public void Save(WorldRecord world)
    {
        var temp = _path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        {
            JsonSerializer.Serialize(stream, world, Json);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, _path, overwrite: true);
    }
}
