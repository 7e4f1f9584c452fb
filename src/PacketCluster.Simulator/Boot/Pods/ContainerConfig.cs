using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace PacketCluster.Simulator.Boot.Pods;

/// <summary>A container that cannot be created yet (a missing Secret, key or unsupported command): the waiting reason and message.</summary>
internal sealed class ContainerConfigException(string reason, string message) : Exception(message)
{
    public string Reason { get; } = reason;
}

/// <summary>Everything a real container's process is started with.</summary>
internal sealed record ContainerLaunch(
    string Executable, IReadOnlyList<string> Arguments, IReadOnlyDictionary<string, string> Environment, string RootDirectory, IPAddress Address);

/// <summary>
/// What a kubelet does before it starts a container: the environment (the image's, the service variables, then
/// <c>envFrom</c> and <c>env</c> with <c>valueFrom</c> Secrets, ConfigMaps and the downward API, read through the API
/// with the node's own credentials) and the volumes the container mounts, written into its root folder.
/// The simulator has no mount or network namespace; the process is told its root folder and address instead
/// (<see cref="RootVariable"/>, <see cref="AddressVariable"/>), and the manager honours both.
/// </summary>
internal static partial class ContainerConfig
{
    /// <summary>The folder that stands for the container's "/" (mounted Secrets and ConfigMaps are under it).</summary>
    public const string RootVariable = "PACKETCLUSTER_CONTAINER_ROOT";

    /// <summary>The loopback address that stands for the pod's own: where a wildcard listen address binds.</summary>
    public const string AddressVariable = "PACKETCLUSTER_CONTAINER_ADDRESS";

    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    public static async Task<ContainerLaunch> ResolveAsync(
        IKubernetes client, V1Pod pod, V1Container container, ImageRun.Process image, PodContext context, CancellationToken cancel)
    {
        if (container.Command is { Count: > 0 } command && command[0] != image.Entrypoint)
            throw new ContainerConfigException("RunContainerError",
                $"the simulator runs {ContainerImages.ManagerRepository} through its entrypoint {image.Entrypoint} only; command {string.Join(' ', command)} is not simulated");

        var root = context.ContainerRoot(container.Name);
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in image.Environment) env[key] = value;
        env["PATH"] = DefaultPath;
        env["HOSTNAME"] = pod.Metadata.Name;
        env["HOME"] = root.Path("/home/nonroot");
        var (apiHost, apiPort) = context.ApiServer;
        env["KUBERNETES_SERVICE_HOST"] = apiHost;
        env["KUBERNETES_SERVICE_PORT"] = apiPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["KUBERNETES_SERVICE_PORT_HTTPS"] = env["KUBERNETES_SERVICE_PORT"];
        // The .NET host finds its runtime through DOTNET_ROOT when it is not in a default place; nothing secret.
        if (System.Environment.GetEnvironmentVariable("DOTNET_ROOT") is { Length: > 0 } dotnetRoot) env["DOTNET_ROOT"] = dotnetRoot;

        foreach (var source in container.EnvFrom ?? [])
            foreach (var (key, value) in await EnvFromAsync(client, pod, source, cancel))
                env[(source.Prefix ?? "") + key] = value;
        foreach (var variable in container.Env ?? [])
            env[variable.Name] = variable.ValueFrom is null ? Expand(variable.Value ?? "", env) : await ValueFromAsync(client, pod, variable, context, cancel);

        env[RootVariable] = root.RootDirectory;
        env[AddressVariable] = context.Address.ToString();

        await PodVolumes.MountAsync(client, pod, container, root, cancel);

        var arguments = (container.Command is { Count: > 1 } c ? c.Skip(1) : []).Concat(container.Args ?? []).Select(a => Expand(a, env)).ToList();
        return new ContainerLaunch(image.Executable, arguments, env, root.RootDirectory, context.Address);
    }

    private static async Task<IEnumerable<KeyValuePair<string, string>>> EnvFromAsync(IKubernetes client, V1Pod pod, V1EnvFromSource source, CancellationToken cancel)
    {
        var ns = pod.Metadata.NamespaceProperty;
        if (source.SecretRef is { } secretRef)
        {
            var secret = await ReadAsync(() => client.CoreV1.ReadNamespacedSecretAsync(secretRef.Name, ns, cancellationToken: cancel), "secret", secretRef.Name, secretRef.Optional);
            return secret?.Data?.Select(kv => KeyValuePair.Create(kv.Key, Encoding.UTF8.GetString(kv.Value))) ?? [];
        }
        if (source.ConfigMapRef is { } mapRef)
        {
            var map = await ReadAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync(mapRef.Name, ns, cancellationToken: cancel), "configmap", mapRef.Name, mapRef.Optional);
            return map?.Data ?? new Dictionary<string, string>();
        }
        return [];
    }

    private static async Task<string> ValueFromAsync(IKubernetes client, V1Pod pod, V1EnvVar variable, PodContext context, CancellationToken cancel)
    {
        var from = variable.ValueFrom;
        var ns = pod.Metadata.NamespaceProperty;
        if (from.SecretKeyRef is { } secretKey)
        {
            var secret = await ReadAsync(() => client.CoreV1.ReadNamespacedSecretAsync(secretKey.Name, ns, cancellationToken: cancel), "secret", secretKey.Name, secretKey.Optional);
            if (secret?.Data is { } data && data.TryGetValue(secretKey.Key, out var bytes)) return Encoding.UTF8.GetString(bytes);
            if (secret is null || secretKey.Optional == true) return "";
            throw new ContainerConfigException("CreateContainerConfigError", $"couldn't find key {secretKey.Key} in Secret {ns}/{secretKey.Name}");
        }
        if (from.ConfigMapKeyRef is { } mapKey)
        {
            var map = await ReadAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync(mapKey.Name, ns, cancellationToken: cancel), "configmap", mapKey.Name, mapKey.Optional);
            if (map?.Data is { } data && data.TryGetValue(mapKey.Key, out var value)) return value;
            if (map is null || mapKey.Optional == true) return "";
            throw new ContainerConfigException("CreateContainerConfigError", $"couldn't find key {mapKey.Key} in ConfigMap {ns}/{mapKey.Name}");
        }
        if (from.FieldRef is { } field)
        {
            return field.FieldPath switch
            {
                "metadata.name" => pod.Metadata.Name,
                "metadata.namespace" => ns,
                "metadata.uid" => pod.Metadata.Uid,
                "spec.nodeName" => pod.Spec.NodeName,
                "spec.serviceAccountName" => pod.Spec.ServiceAccountName ?? "",
                "status.hostIP" => context.HostIp,
                "status.podIP" => context.PodIp,
                var path when LabelPath().Match(path) is { Success: true } m =>
                    (m.Groups[1].Value == "labels" ? pod.Metadata.Labels : pod.Metadata.Annotations)?.TryGetValue(m.Groups[2].Value, out var v) == true ? v : "",
                var path => throw new ContainerConfigException("CreateContainerConfigError", $"env {variable.Name}: fieldRef {path} is not supported"),
            };
        }
        throw new ContainerConfigException("CreateContainerConfigError", $"env {variable.Name}: resourceFieldRef is not simulated");
    }

    /// <summary>Reads a Secret or ConfigMap; null when it is missing and optional (a missing required one stops the start, as on a kubelet).</summary>
    internal static async Task<T?> ReadAsync<T>(Func<Task<T>> read, string kind, string name, bool? optional) where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            if (optional == true && e.Response.StatusCode == HttpStatusCode.NotFound) return null;
            throw new ContainerConfigException("CreateContainerConfigError",
                e.Response.StatusCode == HttpStatusCode.NotFound ? $"{kind} \"{name}\" not found" : $"{kind} \"{name}\": the node may not read it ({(int)e.Response.StatusCode})");
        }
    }

    /// <summary>Kubernetes' $(VAR) expansion: defined variables are replaced, $$ escapes, anything else stays as written.</summary>
    internal static string Expand(string text, IReadOnlyDictionary<string, string> env) =>
        Reference().Replace(text, m => m.Value.StartsWith("$$", StringComparison.Ordinal) ? m.Value[1..] : env.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    [GeneratedRegex(@"\$\$\([A-Za-z_][A-Za-z0-9_.-]*\)|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)", RegexOptions.CultureInvariant)]
    private static partial Regex Reference();

    [GeneratedRegex(@"^metadata\.(labels|annotations)\['([^']+)'\]$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelPath();
}

/// <summary>Where a pod of this node runs: the API server its containers are told about, the node's and pod's addresses, the roots.</summary>
internal sealed record PodContext(string Uid, (string Host, int Port) ApiServer, IPAddress Address, string HostIp, string PodIp, MachineRoot Machine)
{
    public MachineRoot ContainerRoot(string container) => new(Machine.Path($"/var/lib/kubelet/pods/{Uid}/containers/{container}/rootfs"));

    public string LogPath(V1Pod pod, string container)
    {
        var directory = Machine.Path($"/var/log/pods/{pod.Metadata.NamespaceProperty}_{pod.Metadata.Name}_{Uid}/{container}");
        MachineRoot.CreateDirectory(directory);
        return Path.Combine(directory, "0.log");
    }
}
