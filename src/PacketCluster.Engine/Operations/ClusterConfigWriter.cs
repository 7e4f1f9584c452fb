namespace PacketCluster.Engine.Operations;

/// <summary>
/// Writes a generated definition into a folder: refuses to overwrite without force, stages every file
/// first and renames them into place only when all are staged, and keeps secret files at mode 0600.
/// </summary>
public static class ClusterConfigWriter
{
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode PublicFile = PrivateFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>Files that exist already and would be replaced.</summary>
    public static IReadOnlyList<string> ExistingFiles(string directory, GeneratedClusterConfig generated) =>
        generated.Files.Select(f => Path.Combine(directory, f.FileName)).Where(File.Exists).ToList();

    public static IReadOnlyList<string> Write(string directory, GeneratedClusterConfig generated, bool force)
    {
        var existing = ExistingFiles(directory, generated);
        if (existing.Count > 0 && !force)
            throw new PacketClusterException("ClusterConfigExists", ErrorKind.ResourceExists,
                $"'{directory}' already holds {string.Join(", ", existing.Select(Path.GetFileName))}. Use -Force to overwrite, or choose another -OutputDirectory.",
                "Add -Force to overwrite the files, or choose another -OutputDirectory.",
                directory);

        if (!Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(directory);
            else Directory.CreateDirectory(directory, PrivateDirectory);
        }

        var staged = new List<(string Temp, string Final)>();
        try
        {
            foreach (var file in generated.Files)
            {
                var final = Path.Combine(directory, file.FileName);
                var temp = Path.Combine(directory, $".{file.FileName}.{Guid.NewGuid():N}.tmp");
                var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
                if (!OperatingSystem.IsWindows()) options.UnixCreateMode = file.HoldsSecrets ? PrivateFile : PublicFile;
                using (var stream = new FileStream(temp, options))
                using (var writer = new StreamWriter(stream))
                {
                    writer.Write(file.Content);
                    writer.Flush();
                    stream.Flush(flushToDisk: true);
                }
                staged.Add((temp, final));
            }
            foreach (var (temp, final) in staged) File.Move(temp, final, overwrite: true);
            return staged.Select(s => s.Final).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            foreach (var (temp, _) in staged) TryDelete(temp);
            throw new PacketClusterException("ClusterConfigWriteFailed", ErrorKind.WriteError,
                $"Could not write the cluster definition to '{directory}': {ex.Message}",
                "Check that the folder is writable and the disk has room, or choose another -OutputDirectory.", directory, ex);
        }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
