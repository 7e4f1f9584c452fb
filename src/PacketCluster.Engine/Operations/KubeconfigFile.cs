using k8s;
using k8s.KubeConfigModels;
using PacketCluster.Engine.Store;

namespace PacketCluster.Engine.Operations;

/// <summary>
/// Writing and merging kubeconfig files the way Import-AzAksCredential does: other clusters, users and contexts are
/// kept, entries of the same names are replaced, the new context becomes current, and the file stays mode 0600.
/// </summary>
public static class KubeconfigFile
{
    /// <summary>Where -Merge writes: the first path of $KUBECONFIG, else ~/.kube/config.</summary>
    public static string DefaultPath()
    {
        var configured = Environment.GetEnvironmentVariable("KUBECONFIG");
        if (!string.IsNullOrWhiteSpace(configured))
            return configured.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)[0];
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");
    }

    /// <summary>
    /// Merges <paramref name="incoming"/> into <paramref name="existing"/> (null or empty for a new file). Every
    /// kubeadm-made admin kubeconfig calls its user "kubernetes-admin"; merged as is, a second cluster would overwrite
    /// the first one's credentials, so the incoming user is renamed after its context (kubernetes-admin@&lt;cluster&gt;).
    /// </summary>
    public static string Merge(string? existing, string incoming)
    {
        var target = string.IsNullOrWhiteSpace(existing)
            ? new K8SConfiguration { ApiVersion = "v1", Kind = "Config" }
            : Parse(existing, "the existing kubeconfig");
        var source = Parse(incoming, "the new kubeconfig");
        var context = source.Contexts?.FirstOrDefault(c => c.Name == source.CurrentContext) ?? source.Contexts?.FirstOrDefault()
            ?? throw new PacketClusterException("KubeconfigInvalid", ErrorKind.InvalidData, "The new kubeconfig has no context.", "Report this as a bug; the generated kubeconfig should always have a context.");
        var user = source.Users?.FirstOrDefault(u => u.Name == context.ContextDetails.User);
        if (user is not null)
        {
            user.Name = context.Name;
            context.ContextDetails.User = context.Name;
        }

        target.Clusters = Replace(target.Clusters, source.Clusters, c => c.Name);
        target.Users = Replace(target.Users, user is null ? null : new[] { user }, u => u.Name);
        target.Contexts = Replace(target.Contexts, new[] { context }, c => c.Name);
        target.CurrentContext = context.Name;
        return KubernetesYaml.Serialize(target);
    }

    /// <summary>Writes atomically (temp file, fsync, rename) with mode 0600; creates the folder (0700) when missing.</summary>
    public static async Task WriteAsync(string path, string content, CancellationToken cancellationToken)
    {
        try
        {
            var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
            if (!Directory.Exists(directory)) AtomicFile.CreatePrivateDirectory(directory);
            await AtomicFile.WriteAsync(Path.GetFullPath(path), content, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PacketClusterException("KubeconfigWriteFailed", ErrorKind.WriteError, $"Could not write the kubeconfig '{path}': {ex.Message}", "Check that the folder exists and is writable, or pass another -Path.", path, ex);
        }
    }

    /// <summary>Merges into the file at <paramref name="path"/> (created when missing) and writes it back.</summary>
    public static async Task MergeIntoAsync(string path, string incoming, CancellationToken cancellationToken)
    {
        var existing = File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : null;
        await WriteAsync(path, Merge(existing, incoming), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes what <see cref="Merge"/> added for a cluster: its cluster entry (the name and the CA must both match, so a
    /// colleague's cluster of the same name stays), the contexts that use it, the users only those contexts used, and the
    /// current-context when it was one of them. Returns what was removed ("context x", "user y", "cluster z").
    /// </summary>
    public static (string? Yaml, IReadOnlyList<string> Removed) Forget(string existing, string clusterName, string caCertificatePem)
    {
        var config = Parse(existing, "the kubeconfig");
        var ca = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(caCertificatePem));
        var clusters = (config.Clusters ?? []).Where(c => c.Name == clusterName && SameCa(c.ClusterEndpoint?.CertificateAuthorityData, ca)).ToList();
        if (clusters.Count == 0) return (null, []);
        var clusterNames = clusters.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        var contexts = (config.Contexts ?? []).Where(c => clusterNames.Contains(c.ContextDetails?.Cluster ?? "")).ToList();
        var users = contexts.Select(c => c.ContextDetails?.User).OfType<string>().Distinct(StringComparer.Ordinal)
            .Where(u => (config.Contexts ?? []).All(c => contexts.Contains(c) || c.ContextDetails?.User != u)).ToHashSet(StringComparer.Ordinal);
        var removed = contexts.Select(c => $"context {c.Name}").Concat(users.Select(u => $"user {u}")).Concat(clusters.Select(c => $"cluster {c.Name}")).ToList();
        config.Clusters = (config.Clusters ?? []).Except(clusters).ToList();
        config.Contexts = (config.Contexts ?? []).Except(contexts).ToList();
        config.Users = (config.Users ?? []).Where(u => !users.Contains(u.Name)).ToList();
        if (contexts.Any(c => c.Name == config.CurrentContext)) config.CurrentContext = null;
        return (KubernetesYaml.Serialize(config), removed);
    }

    /// <summary><see cref="Forget"/> on a file, written back (0600) only when something of the cluster was in it.</summary>
    public static async Task<IReadOnlyList<string>> ForgetClusterAsync(string path, string clusterName, string caCertificatePem, CancellationToken cancellationToken)
    {
        if (!File.Exists(path)) return [];
        var (yaml, removed) = Forget(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false), clusterName, caCertificatePem);
        if (yaml is not null) await WriteAsync(path, yaml, cancellationToken).ConfigureAwait(false);
        return removed;
    }

    private static bool SameCa(string? data, string expected)
    {
        if (data is null) return false;
        if (data == expected) return true;
        try { return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(data)).Trim() == System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(expected)).Trim(); }
        catch (FormatException) { return false; }
    }

    private static K8SConfiguration Parse(string yaml, string what)
    {
        try
        {
            return KubernetesYaml.Deserialize<K8SConfiguration>(yaml)
                ?? throw new PacketClusterException("KubeconfigInvalid", ErrorKind.InvalidData, $"{what} is empty.", "Remove the empty file or pass another -Path.");
        }
        catch (Exception ex) when (ex is not PacketClusterException)
        {
            // The parser's message can quote the file, and a kubeconfig holds keys: keep only the type.
            throw new PacketClusterException("KubeconfigInvalid", ErrorKind.InvalidData,
                $"{what} is not a valid kubeconfig ({ex.GetType().Name}); fix or move it and try again.",
                "Fix or move the file and try again, or pass another -Path.");
        }
    }

    private static List<T> Replace<T>(IEnumerable<T>? existing, IEnumerable<T>? incoming, Func<T, string> name)
    {
        var result = (existing ?? Enumerable.Empty<T>()).ToList();
        foreach (var item in incoming ?? Enumerable.Empty<T>())
        {
            result.RemoveAll(e => name(e) == name(item));
            result.Add(item);
        }
        return result;
    }
}
