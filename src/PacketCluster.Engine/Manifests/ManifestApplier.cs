using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using PacketCluster.Engine.Api;

namespace PacketCluster.Engine.Manifests;

/// <summary>
/// Server-side apply (field manager "packetcluster", conflicts forced: these objects are ours) of the manifests
/// PacketCluster renders — CRDs, provider components, add-ons — to a cluster, in document order. CRDs are waited for
/// until Established, so custom resources later in the same manifest apply. Kinds are resolved from a fixed table
/// rather than discovery: the manifests are ours, and a test keeps the table in step with them.
/// </summary>
public sealed class ManifestApplier(IKubernetes client)
{
    public const string FieldManager = "packetcluster";

    /// <summary>A CRD becomes Established within a second or two; 30 s covers a loaded API server.</summary>
    private static readonly TimeSpan EstablishTimeout = TimeSpan.FromSeconds(30);

    /// <summary>kind → (plural, namespaced) for every kind our manifests hold.</summary>
    internal static readonly IReadOnlyDictionary<string, (string Plural, bool Namespaced)> Kinds = new Dictionary<string, (string, bool)>(StringComparer.Ordinal)
    {
        ["Namespace"] = ("namespaces", false),
        ["ServiceAccount"] = ("serviceaccounts", true),
        ["Secret"] = ("secrets", true),
        ["ConfigMap"] = ("configmaps", true),
        ["Service"] = ("services", true),
        ["CustomResourceDefinition"] = ("customresourcedefinitions", false),
        ["ClusterRole"] = ("clusterroles", false),
        ["ClusterRoleBinding"] = ("clusterrolebindings", false),
        ["Role"] = ("roles", true),
        ["RoleBinding"] = ("rolebindings", true),
        ["Deployment"] = ("deployments", true),
        ["DaemonSet"] = ("daemonsets", true),
        ["StatefulSet"] = ("statefulsets", true),
        ["StorageClass"] = ("storageclasses", false),
        ["CSIDriver"] = ("csidrivers", false),
        ["Cluster"] = ("clusters", true),
        ["Machine"] = ("machines", true),
        ["MachineSet"] = ("machinesets", true),
        ["MachineDeployment"] = ("machinedeployments", true),
    };

    /// <summary>Applies every document of <paramref name="yaml"/>; returns "Kind namespace/name" of each, in order.</summary>
    public async Task<IReadOnlyList<string>> ApplyAsync(string yaml, string sourceName, CancellationToken cancellationToken)
    {
        var applied = new List<string>();
        foreach (var document in YamlJsonBridge.Parse(yaml, sourceName))
        {
            if (document.Root is not JsonObject root) continue;
            var (apiVersion, kind, name) = (document.ApiVersion, document.Kind, document.Name);
            if (apiVersion is null || kind is null || name is null)
                throw new PacketClusterException("ManifestInvalid", ErrorKind.InvalidData, $"{sourceName}: document {document.Index + 1} lacks apiVersion, kind or metadata.name.", "Give every document apiVersion, kind and metadata.name.", sourceName);
            if (!Kinds.TryGetValue(kind, out var resource))
                throw new PacketClusterException("ManifestKindUnknown", ErrorKind.InvalidData, $"{sourceName}: {kind}/{name} is not a kind PacketCluster applies.", "Remove that document from the manifest, or apply it with kubectl.", sourceName);
            var ns = resource.Namespaced ? (root["metadata"]?["namespace"]?.GetValue<string>() ?? "default") : null;
            await ApplyOneAsync(root, apiVersion, kind, resource.Plural, ns, name, cancellationToken).ConfigureAwait(false);
            if (kind == "CustomResourceDefinition") await WaitEstablishedAsync(name, cancellationToken).ConfigureAwait(false);
            applied.Add(ns is null ? $"{kind} {name}" : $"{kind} {ns}/{name}");
        }
        return applied;
    }

    private async Task ApplyOneAsync(JsonObject root, string apiVersion, string kind, string plural, string? ns, string name, CancellationToken ct)
    {
        var patch = new V1Patch(JsonDocument.Parse(root.ToJsonString()).RootElement, V1Patch.PatchType.ApplyPatch);
        try
        {
            var slash = apiVersion.IndexOf('/');
            if (slash < 0)
            {
                await ApplyCoreAsync(patch, kind, ns, name, ct).ConfigureAwait(false);
                return;
            }
            var (group, version) = (apiVersion[..slash], apiVersion[(slash + 1)..]);
            if (ns is null)
                await client.CustomObjects.PatchClusterCustomObjectAsync(patch, group, version, plural, name, fieldManager: FieldManager, force: true, cancellationToken: ct).ConfigureAwait(false);
            else
                await client.CustomObjects.PatchNamespacedCustomObjectAsync(patch, group, version, ns, plural, name, fieldManager: FieldManager, force: true, cancellationToken: ct).ConfigureAwait(false);
        }
        catch (HttpOperationException e)
        {
            throw new PacketClusterException("ManifestApplyFailed", ErrorKind.InvalidOperation,
                $"Applying {kind} {(ns is null ? name : $"{ns}/{name}")} failed ({(int)e.Response.StatusCode}): {StatusMessage(e) ?? e.Response.ReasonPhrase}",
                "Fix the object as the API server's reason says, check that the cluster's API server is healthy, then run the command again.", name, e);
        }
    }

    /// <summary>The core group ("v1") lives under /api, which the custom-objects paths cannot reach.</summary>
    private Task ApplyCoreAsync(V1Patch patch, string kind, string? ns, string name, CancellationToken ct) => kind switch
    {
        "Namespace" => client.CoreV1.PatchNamespaceAsync(patch, name, fieldManager: FieldManager, force: true, cancellationToken: ct),
        "ServiceAccount" => client.CoreV1.PatchNamespacedServiceAccountAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: ct),
        "Secret" => client.CoreV1.PatchNamespacedSecretAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: ct),
        "ConfigMap" => client.CoreV1.PatchNamespacedConfigMapAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: ct),
        "Service" => client.CoreV1.PatchNamespacedServiceAsync(patch, name, ns, fieldManager: FieldManager, force: true, cancellationToken: ct),
        _ => throw new PacketClusterException("ManifestKindUnknown", ErrorKind.InvalidData, $"{kind}/{name}: not a core kind PacketCluster applies.", "Remove that document from the manifest, or apply it with kubectl.", name),
    };

    private async Task WaitEstablishedAsync(string name, CancellationToken ct)
    {
        var deadline = DateTimeOffset.UtcNow + EstablishTimeout;
        while (true)
        {
            var crd = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(name, cancellationToken: ct).ConfigureAwait(false);
            if (crd.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true) return;
            if (DateTimeOffset.UtcNow >= deadline)
                throw new PacketClusterException("CrdNotEstablished", ErrorKind.OperationTimeout,
                    $"The CustomResourceDefinition {name} was not Established within {EstablishTimeout.TotalSeconds:0} s.",
                    "Check the API server of the cluster (kubectl get crd), then run the command again.", name);
            await Task.Delay(200, ct).ConfigureAwait(false);
        }
    }

    private static string? StatusMessage(HttpOperationException e)
    {
        try
        {
            return e.Response.Content is { Length: > 0 } body && JsonNode.Parse(body)?["message"] is JsonValue m ? m.GetValue<string>() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
