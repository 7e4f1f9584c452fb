using System.Text;

namespace PacketCluster.Engine.Store;

/// <summary>Whole-file writes that a crash can never leave half done: temp file in the same folder, fsync, rename.</summary>
internal static class AtomicFile
{
    /// <summary>Every temp file ends with this; readers skip it and <see cref="FileStore.Open"/> sweeps leftovers.</summary>
    public const string TempSuffix = ".tmp";

    internal const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    internal const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false);

    public static async Task WriteAsync(string path, string content, CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(path)!;
        // Same folder as the target: rename is atomic only within one file system.
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}{TempSuffix}");
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            Options = FileOptions.Asynchronous,
        };
        // State files hold keys and tokens (PRODUCT.md §10): created 0600, never widened afterwards.
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = PrivateFile;
        try
        {
            await using (var stream = new FileStream(temp, options))
            {
                var bytes = Utf8NoBom.GetBytes(content);
                await stream.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
                // fsync before rename: otherwise a power cut can leave the new name pointing at empty blocks.
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void CreatePrivateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }
        // CreateDirectory(path, mode) gives the mode to the last folder only; parents it makes get the umask default.
        var missing = new Stack<string>();
        for (var current = Path.GetFullPath(path); !Directory.Exists(current); current = Path.GetDirectoryName(current)!)
        {
            missing.Push(current);
            if (Path.GetDirectoryName(current) is null) break;
        }
        while (missing.TryPop(out var folder)) Directory.CreateDirectory(folder, PrivateDirectory);
    }

    public static bool IsTemp(string path) => path.EndsWith(TempSuffix, StringComparison.Ordinal);

    public static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { /* best effort: a leftover temp file is ignored by readers */ }
        catch (UnauthorizedAccessException) { }
    }
}
