using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using k8s.Models;

namespace PacketCluster.Engine.Pki;

/// <summary>
/// A kubeadm bootstrap token "&lt;id&gt;.&lt;secret&gt;". The id is public (it names the Secret); the secret is a
/// credential, so <see cref="ToString"/> shows only the id.
/// </summary>
public sealed partial class BootstrapToken
{
    public const string InvalidErrorId = "InvalidBootstrapToken";
    public const string SecretType = "bootstrap.kubernetes.io/token";
    public const string SecretNamePrefix = "bootstrap-token-";
    public const string SecretNamespace = "kube-system";

    /// <summary>The group kubeadm's RBAC bindings (kubelet-bootstrap, node-autoapprove-bootstrap) are written for.</summary>
    public const string DefaultNodeTokenGroup = "system:bootstrappers:kubeadm:default-node-token";

    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const int IdLength = 6;
    private const int SecretLength = 16;

    private BootstrapToken(string id, string secret)
    {
        Id = id;
        Secret = secret;
    }

    public string Id { get; }
    public string Secret { get; }

    /// <summary>"id.secret", what goes into a kubeadm join configuration or an Authorization: Bearer header.</summary>
    public string Value => $"{Id}.{Secret}";

    public string SecretName => SecretNamePrefix + Id;

    /// <summary>The user the API server authenticates this token as.</summary>
    public string UserName => "system:bootstrap:" + Id;

    public static BootstrapToken Generate() =>
        // GetString picks each character uniformly (rejection sampling), so no letter is likelier than another.
        new(RandomNumberGenerator.GetString(Alphabet, IdLength), RandomNumberGenerator.GetString(Alphabet, SecretLength));

    /// <exception cref="PacketClusterException"><see cref="InvalidErrorId"/> when the text is not "[a-z0-9]{6}.[a-z0-9]{16}".</exception>
    public static BootstrapToken Parse(string value)
    {
        // The message never echoes the input: it may be a real token with one typo.
        var match = value is null ? null : TokenPattern().Match(value);
        if (match is not { Success: true })
            throw new PacketClusterException(InvalidErrorId, ErrorKind.InvalidArgument,
                "A bootstrap token must be 6 characters, a dot, then 16 characters, all from a-z and 0-9 (e.g. \"07401b.f395accd246ae52d\").",
                "Use a token of the form abcdef.0123456789abcdef (6 and 16 characters from a-z and 0-9), e.g. from 'kubeadm token generate'.");
        return new BootstrapToken(match.Groups["id"].Value, match.Groups["secret"].Value);
    }

    public static bool TryParse(string? value, out BootstrapToken? token)
    {
        var match = value is null ? null : TokenPattern().Match(value);
        token = match is { Success: true } ? new BootstrapToken(match.Groups["id"].Value, match.Groups["secret"].Value) : null;
        return token is not null;
    }

    /// <summary>
    /// The kube-system Secret that makes the API server accept this token (for authentication and for signing
    /// cluster-info), in kubeadm's default node-token group. The token-cleaner controller deletes it after <paramref name="expiration"/>.
    /// </summary>
    public V1Secret ToSecret(DateTimeOffset expiration, string? description = null)
    {
        var data = new Dictionary<string, string>
        {
            ["token-id"] = Id,
            ["token-secret"] = Secret,
            ["expiration"] = expiration.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            ["usage-bootstrap-authentication"] = "true",
            ["usage-bootstrap-signing"] = "true",
            ["auth-extra-groups"] = DefaultNodeTokenGroup,
        };
        if (!string.IsNullOrWhiteSpace(description))
            data["description"] = description;

        return new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Metadata = new V1ObjectMeta { Name = SecretName, NamespaceProperty = SecretNamespace },
            Type = SecretType,
            StringData = data,
        };
    }

    public override string ToString() => SecretName;

    [GeneratedRegex("^(?<id>[a-z0-9]{6})\\.(?<secret>[a-z0-9]{16})\\z", RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();
}
