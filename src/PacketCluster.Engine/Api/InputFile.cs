using System.Text;

namespace PacketCluster.Engine.Api;

/// <summary>
/// Reads a file a user handed us with a size cap, so a huge (or endless: a FIFO, /dev/zero) file is refused with
/// <c>InputTooLarge</c> in milliseconds instead of being held in memory and written into state files.
/// </summary>
public static class InputFile
{
    /// <summary>cluster.yaml, machines.yaml, provider-components.yaml, addons.yaml, a machine-config catalogue, a simulator config: 4 MiB each (Kubernetes keeps one object under 1.5 MiB).</summary>
    public const int DefinitionLimit = 4 * 1024 * 1024;

    /// <summary>A kubeconfig: 1 MiB (a kubeconfig with a few embedded certificates is a few KiB).</summary>
    public const int KubeconfigLimit = 1024 * 1024;

    /// <summary>An SSH public key file: 64 KiB (one authorized_keys line is under 1 KiB even for RSA 16384).</summary>
    public const int SshPublicKeyLimit = 64 * 1024;

    public static string ReadAllText(string path, int limit, string what)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 4096, FileOptions.SequentialScan);
        if (stream.CanSeek && stream.Length > limit) throw TooLarge(path, what, stream.Length, limit);
        var buffer = new byte[Math.Min(limit + 1L, stream.CanSeek && stream.Length > 0 ? stream.Length + 1 : limit + 1L)];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = stream.Read(buffer, read, buffer.Length - read);
            if (n == 0) break;
            read += n;
            if (read == buffer.Length && read <= limit) Array.Resize(ref buffer, (int)Math.Min(limit + 1L, buffer.Length * 2L));
        }
        if (read > limit) throw TooLarge(path, what, null, limit);
        return new UTF8Encoding(false).GetString(buffer, 0, read).TrimStart('\uFEFF');
    }

    public static Task<string> ReadAllTextAsync(string path, int limit, string what, CancellationToken ct) =>
        Task.Run(() => ReadAllText(path, limit, what), ct);

    private static PacketClusterException TooLarge(string path, string what, long? size, int limit) =>
        new("InputTooLarge", ErrorKind.InvalidData,
            $"{what} '{path}' is {(size is { } s ? $"{s / 1024.0 / 1024.0:0.##} MiB" : "larger than the limit")}; at most {Describe(limit)} is accepted. Nothing was read or created.",
            "Check that the path names the intended file, or make the file smaller.", path);

    private static string Describe(int bytes) => bytes >= 1024 * 1024 ? $"{bytes / 1024 / 1024} MiB" : $"{bytes / 1024} KiB";
}
