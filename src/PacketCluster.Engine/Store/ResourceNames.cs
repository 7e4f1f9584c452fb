using System.Text.RegularExpressions;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Store;

/// <summary>Name rules and folder names for stored objects. Names become file names, so they are checked before any path is built.</summary>
internal static partial class ResourceNames
{
    public const string DefaultNamespace = "default";
    public const string SecretsFolder = "secrets";

    // Kubernetes object names are DNS-1123 subdomains, namespaces DNS-1123 labels; either rule also keeps
    // '/', '\\' and '..' out of the paths built from them.
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    public static string CheckName(string? name, string what)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 253 || !Dns1123Subdomain().IsMatch(name))
            throw new PacketClusterException("InvalidResourceName", ErrorKind.InvalidArgument,
                $"'{name}' is not a valid {what} name: use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253 characters).",
                "Use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253 characters).",
                name);
        return name;
    }

    public static string CheckNamespace(string? @namespace)
    {
        if (string.IsNullOrEmpty(@namespace) || @namespace.Length > 63 || !Dns1123Label().IsMatch(@namespace))
            throw new PacketClusterException("InvalidNamespace", ErrorKind.InvalidArgument,
                $"'{@namespace}' is not a valid namespace: use lower-case letters, digits and '-', starting and ending with a letter or digit (at most 63 characters).",
                "Use lower-case letters, digits and '-', starting and ending with a letter or digit (at most 63 characters).",
                @namespace);
        return @namespace;
    }

    /// <summary>The folder of a kind, as its Kubernetes resource plural: clusters, machines, machinesets, machinedeployments.</summary>
    public static string KindFolder<T>() where T : ResourceObject, new() => KindFolderCache<T>.Value;

    private static class KindFolderCache<T> where T : ResourceObject, new()
    {
        public static readonly string Value = ((new T().Kind ?? typeof(T).Name).ToLowerInvariant()) + "s";
    }
}
