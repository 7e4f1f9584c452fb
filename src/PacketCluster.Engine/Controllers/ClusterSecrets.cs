using System.Text;
using k8s.Models;
using PacketCluster.Engine.Pki;
using PacketCluster.Engine.Store;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// Names and shapes of the Secrets the reconcilers keep: the cluster's PKI (one Secret per CA or key pair, owned by
/// the Cluster, so a pivot moves them with it — the seed left its CA behind) and one bootstrap token per Machine.
/// </summary>
public static class ClusterSecrets
{
    public const string CertificateKey = "tls.crt";
    public const string PrivateKeyKey = "tls.key";
    public const string PublicKeyKey = "tls.pub";
    public const string TokenKey = "token";
    public const string TlsSecretType = "kubernetes.io/tls";
    public const string OpaqueSecretType = "Opaque";

    public static string ClusterCa(string cluster) => cluster + "-ca";
    public static string EtcdCa(string cluster) => cluster + "-etcd";
    public static string FrontProxyCa(string cluster) => cluster + "-proxy";
    public static string ServiceAccount(string cluster) => cluster + "-sa";
    public static string BootstrapToken(string machine) => machine + "-bootstrap-token";

    public static IReadOnlyList<string> PkiSecretNames(string cluster) =>
        [ClusterCa(cluster), EtcdCa(cluster), FrontProxyCa(cluster), ServiceAccount(cluster)];

    /// <summary>A CA Secret; it also records the Cluster's identity, so a Cluster object recreated from files keeps it (<see cref="ClusterIdentity"/>).</summary>
    public static V1Secret CaSecret(string name, ResourceObject owner, CertificateAuthority ca)
    {
        var secret = Secret(name, owner, TlsSecretType, new() { [CertificateKey] = ca.CertificatePem, [PrivateKeyKey] = ca.PrivateKeyPem });
        if (owner is Cluster cluster && ClusterIdentity.Of(cluster).Uid is { } uid)
            secret.Metadata.Annotations = new Dictionary<string, string> { [ClusterIdentity.UidAnnotation] = uid };
        return secret;
    }

    public static V1Secret ServiceAccountSecret(string name, ResourceObject owner, ServiceAccountKeyPair pair) =>
        Secret(name, owner, OpaqueSecretType, new() { [PrivateKeyKey] = pair.PrivateKeyPem, [PublicKeyKey] = pair.PublicKeyPem });

    public static V1Secret TokenSecret(string name, ResourceObject owner, Pki.BootstrapToken token) =>
        Secret(name, owner, OpaqueSecretType, new() { [TokenKey] = token.Value });

    /// <summary>The cluster's PKI from its four Secrets; null while any is missing.</summary>
    public static async Task<ClusterPki?> ReadPkiAsync(IStateStore store, string ns, string cluster, CancellationToken cancellationToken)
    {
        var ca = await store.GetSecretAsync(ns, ClusterCa(cluster), cancellationToken).ConfigureAwait(false);
        var etcd = await store.GetSecretAsync(ns, EtcdCa(cluster), cancellationToken).ConfigureAwait(false);
        var proxy = await store.GetSecretAsync(ns, FrontProxyCa(cluster), cancellationToken).ConfigureAwait(false);
        var sa = await store.GetSecretAsync(ns, ServiceAccount(cluster), cancellationToken).ConfigureAwait(false);
        if (ca is null || etcd is null || proxy is null || sa is null) return null;
        return ClusterPki.FromExisting(
            Value(ca, CertificateKey), Value(ca, PrivateKeyKey),
            Value(etcd, CertificateKey), Value(etcd, PrivateKeyKey),
            Value(proxy, CertificateKey), Value(proxy, PrivateKeyKey),
            Value(sa, PrivateKeyKey));
    }

    /// <summary>
    /// The cluster CA with its key only (what an admin kubeconfig is minted from); null while missing. Reading the whole
    /// PKI checks four key pairs (an RSA signature each) where one is needed.
    /// </summary>
    public static async Task<CertificateAuthority?> ReadClusterCaAsync(IStateStore store, string ns, string cluster, CancellationToken cancellationToken)
    {
        var ca = await store.GetSecretAsync(ns, ClusterCa(cluster), cancellationToken).ConfigureAwait(false);
        return ca is null ? null : CertificateAuthority.Import(Value(ca, CertificateKey), Value(ca, PrivateKeyKey), "cluster CA");
    }

    /// <summary>The cluster CA certificate only (what a worker needs to pin); null while missing.</summary>
    public static async Task<string?> ReadCaCertificateAsync(IStateStore store, string ns, string cluster, CancellationToken cancellationToken)
    {
        var ca = await store.GetSecretAsync(ns, ClusterCa(cluster), cancellationToken).ConfigureAwait(false);
        return ca is null ? null : Value(ca, CertificateKey);
    }

    /// <summary>
    /// The Machine's bootstrap token, created on first use. The first control plane and the worker both call this, so
    /// whichever comes first mints it and both render the same token.
    /// </summary>
    public static async Task<Pki.BootstrapToken> EnsureBootstrapTokenAsync(IStateStore store, Machine machine, CancellationToken cancellationToken)
    {
        var ns = machine.Metadata.Namespace ?? "default";
        var name = BootstrapToken(machine.Name);
        var existing = await store.GetSecretAsync(ns, name, cancellationToken).ConfigureAwait(false);
        if (existing is not null) return Pki.BootstrapToken.Parse(Value(existing, TokenKey));
        try
        {
            await store.CreateSecretAsync(TokenSecret(name, machine, Pki.BootstrapToken.Generate()), cancellationToken).ConfigureAwait(false);
        }
        catch (StoreConflictException e) when (e.ErrorId == StoreConflictException.ExistsErrorId)
        {
            // Another reconcile minted it between our read and our create: use theirs.
        }
        var stored = await store.GetSecretAsync(ns, name, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"Secret {ns}/{name} vanished right after it was created.");
        return Pki.BootstrapToken.Parse(Value(stored, TokenKey));
    }

    /// <summary>A Secret value as text, from data (bytes) or stringData.</summary>
    public static string Value(V1Secret secret, string key)
    {
        if (secret.Data is not null && secret.Data.TryGetValue(key, out var bytes) && bytes is not null) return Encoding.UTF8.GetString(bytes);
        if (secret.StringData is not null && secret.StringData.TryGetValue(key, out var text) && text is not null) return text;
        throw new PacketClusterException("SecretKeyMissing", ErrorKind.InvalidData,
            $"Secret {secret.Metadata?.NamespaceProperty}/{secret.Metadata?.Name} has no key '{key}'.",
            "Restore the Secret from a backup, or run New-PacketCluster again so it is recreated.", secret.Metadata?.Name);
    }

    private static V1Secret Secret(string name, ResourceObject owner, string type, Dictionary<string, string> values) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Type = type,
        Metadata = new V1ObjectMeta
        {
            Name = name,
            NamespaceProperty = owner.Metadata.Namespace ?? "default",
            Labels = owner.Metadata.Labels?.TryGetValue(Api.ClusterValidation.ClusterNameLabel, out var cluster) == true
                ? new Dictionary<string, string> { [Api.ClusterValidation.ClusterNameLabel] = cluster }
                : owner is Cluster ? new Dictionary<string, string> { [Api.ClusterValidation.ClusterNameLabel] = owner.Name } : null,
            OwnerReferences =
            [
                new V1OwnerReference
                {
                    ApiVersion = owner.ApiVersion ?? ResourceObject.ClusterApiVersion,
                    Kind = owner.Kind ?? owner.GetType().Name,
                    Name = owner.Name,
                    Uid = owner.Metadata.Uid ?? string.Empty,
                    BlockOwnerDeletion = true,
                    Controller = true,
                },
            ],
        },
        Data = values.ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value)),
    };
}
