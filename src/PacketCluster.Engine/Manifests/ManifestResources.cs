using System.Reflection;

namespace PacketCluster.Engine.Manifests;

/// <summary>Reads the YAML embedded under src/PacketCluster.Engine/Resources/.</summary>
internal static class ManifestResources
{
    private const string Prefix = "PacketCluster.Engine.Resources.";

    private static readonly Assembly Assembly = typeof(ManifestResources).Assembly;

    // The csproj names resources with %(RecursiveDir), which carries the build host's path separator:
    // match on a normalised name so a Windows-built assembly reads the same paths.
    private static readonly Dictionary<string, string> NamesByPath = Assembly.GetManifestResourceNames()
        .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal))
        .ToDictionary(n => n[Prefix.Length..].Replace('\\', '/'), n => n, StringComparer.Ordinal);

    /// <summary>The text of the resource at <paramref name="path"/> (relative to Resources/, forward slashes).</summary>
    public static string ReadText(string path)
    {
        if (!NamesByPath.TryGetValue(path, out var name))
        {
            throw new PacketClusterException(
                "ManifestResourceMissing",
                ErrorKind.InvalidOperation,
                $"The embedded manifest '{path}' is missing from {Assembly.GetName().Name}. The build is broken; reinstall the module.",
                "Reinstall the PacketCluster module.",
                path);
        }

        using var stream = Assembly.GetManifestResourceStream(name)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
