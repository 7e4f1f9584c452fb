using System.Text;
using k8s;
using k8s.Models;

namespace PacketCluster.Simulator.Boot.Pods;

/// <summary>
/// The volumes a real container mounts, written as files under its root folder at their mount paths: Secrets and
/// ConfigMaps (all keys, or the listed items), projected volumes (their Secret, ConfigMap and service-account-token
/// sources) and emptyDirs. Secret and token files are 0600. Other kinds are left out; the console says which.
/// </summary>
internal static class PodVolumes
{
    public static async Task MountAsync(IKubernetes client, V1Pod pod, V1Container container, MachineRoot root, CancellationToken cancel)
    {
        var ns = pod.Metadata.NamespaceProperty;
        foreach (var mount in container.VolumeMounts ?? [])
        {
            var volume = pod.Spec.Volumes?.FirstOrDefault(v => v.Name == mount.Name)
                ?? throw new ContainerConfigException("CreateContainerConfigError", $"volumeMount {mount.Name}: the pod has no such volume");
            var target = root.Path(mount.MountPath);
            MachineRoot.CreateDirectory(target);
            if (volume.Secret is { } secretSource)
                WriteKeys(target, await SecretDataAsync(client, ns, secretSource.SecretName, secretSource.Optional, cancel), secretSource.Items);
            else if (volume.ConfigMap is { } mapSource)
                WriteKeys(target, await ConfigMapDataAsync(client, ns, mapSource.Name, mapSource.Optional, cancel), mapSource.Items);
            else if (volume.Projected is { } projected)
            {
                foreach (var source in projected.Sources ?? [])
                    await ProjectAsync(client, pod, root, target, source, cancel);
            }
            // emptyDir and every other kind: the folder at the mount path is all there is.
        }
    }

    private static async Task ProjectAsync(IKubernetes client, V1Pod pod, MachineRoot root, string target, V1VolumeProjection source, CancellationToken cancel)
    {
        var ns = pod.Metadata.NamespaceProperty;
        if (source.Secret is { } s)
            WriteKeys(target, await SecretDataAsync(client, ns, s.Name, s.Optional, cancel), s.Items);
        else if (source.ConfigMap is { } c)
            WriteKeys(target, await ConfigMapDataAsync(client, ns, c.Name, c.Optional, cancel), c.Items);
        else if (source.ServiceAccountToken is { } token)
        {
            // As the kubelet: a token bound to this pod, requested with the node's credentials.
            var request = new Authenticationv1TokenRequest
            {
                Spec = new V1TokenRequestSpec
                {
                    Audiences = token.Audience is { Length: > 0 } audience ? [audience] : [],
                    ExpirationSeconds = token.ExpirationSeconds ?? 3607,
                    BoundObjectRef = new V1BoundObjectReference { ApiVersion = "v1", Kind = "Pod", Name = pod.Metadata.Name, Uid = pod.Metadata.Uid },
                },
            };
            var issued = await client.CoreV1.CreateNamespacedServiceAccountTokenAsync(request, pod.Spec.ServiceAccountName ?? "default", ns, cancellationToken: cancel);
            root.WriteSecret(Inside(target, token.Path), issued.Status.Token);
        }
    }

    private static async Task<IDictionary<string, byte[]>?> SecretDataAsync(IKubernetes client, string ns, string name, bool? optional, CancellationToken cancel) =>
        (await ContainerConfig.ReadAsync(() => client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancel), "secret", name, optional))?.Data;

    private static async Task<IDictionary<string, byte[]>?> ConfigMapDataAsync(IKubernetes client, string ns, string name, bool? optional, CancellationToken cancel) =>
        (await ContainerConfig.ReadAsync(() => client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: cancel), "configmap", name, optional))?.Data
            ?.ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value));

    private static void WriteKeys(string target, IDictionary<string, byte[]>? data, IList<V1KeyToPath>? items)
    {
        if (data is null) return;
        var files = items is { Count: > 0 }
            ? items.Where(i => data.ContainsKey(i.Key)).Select(i => (i.Path, data[i.Key]))
            : data.Select(kv => (kv.Key, kv.Value));
        foreach (var (path, content) in files)
        {
            var file = Inside(target, path);
            MachineRoot.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, content);
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>A key's file under the mount folder; a key that would leave it ("../x") is refused.</summary>
    private static string Inside(string target, string relative)
    {
        var full = Path.GetFullPath(Path.Join(target, relative));
        if (!full.StartsWith(target.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new ContainerConfigException("CreateContainerConfigError", $"volume path {relative} leaves its mount folder");
        return full;
    }
}
