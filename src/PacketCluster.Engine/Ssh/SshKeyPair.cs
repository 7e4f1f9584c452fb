using System.Text;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Utilities;
using Org.BouncyCastle.Security;

namespace PacketCluster.Engine.Ssh;

/// <summary>An Ed25519 SSH key pair in OpenSSH formats, for machines when the user brings no key.</summary>
public sealed class SshKeyPair
{
    private SshKeyPair(string publicKey, string privateKeyPem)
    {
        PublicKey = publicKey;
        PrivateKeyPem = privateKeyPem;
    }

    /// <summary>authorized_keys line: "ssh-ed25519 AAAA… comment".</summary>
    public string PublicKey { get; }

    /// <summary>"-----BEGIN OPENSSH PRIVATE KEY-----" block. Write it with mode 0600 only.</summary>
    public string PrivateKeyPem { get; }

    public static SshKeyPair Generate(string comment)
    {
        var generator = new Ed25519KeyPairGenerator();
        generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
        var pair = generator.GenerateKeyPair();
        var publicBlob = OpenSshPublicKeyUtilities.EncodePublicKey((Ed25519PublicKeyParameters)pair.Public);
        var privateBlob = OpenSshPrivateKeyUtilities.EncodePrivateKey((Ed25519PrivateKeyParameters)pair.Private);
        var pem = new StringBuilder("-----BEGIN OPENSSH PRIVATE KEY-----\n");
        var base64 = Convert.ToBase64String(privateBlob);
        for (var i = 0; i < base64.Length; i += 70) pem.Append(base64, i, Math.Min(70, base64.Length - i)).Append('\n');
        pem.Append("-----END OPENSSH PRIVATE KEY-----\n");
        return new SshKeyPair($"ssh-ed25519 {Convert.ToBase64String(publicBlob)} {comment}", pem.ToString());
    }

    /// <summary>
    /// Reads an authorized_keys line, also accepting the base64 of one (the seed's generate-yaml.sh
    /// put base64 of the .pub file into sshKeys).
    /// </summary>
    public static bool TryNormalizePublicKey(string text, out string publicKey)
    {
        publicKey = text.Trim();
        if (LooksLikePublicKey(publicKey)) return true;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(publicKey)).Trim();
            if (LooksLikePublicKey(decoded)) { publicKey = decoded; return true; }
        }
        catch (FormatException) { }
        return false;
    }

    private static readonly string[] KeyTypes =
    [
        "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com", "ssh-dss",
    ];

    /// <summary>
    /// Why <paramref name="text"/> is not one authorized_keys line (or the base64 of one), or null when it is: a known key
    /// type, a base64 key blob that names the same type, an optional comment, and no line break or NUL anywhere — a key
    /// with a newline would add a second line (any text at all) to the machines' authorized_keys and userdata.
    /// </summary>
    public static string? PublicKeyProblem(string text)
    {
        if (text.Length > 16 * 1024) return "is longer than any SSH public key (16 KiB)";
        if (!TryNormalizePublicKey(text, out var line)) return "is not an SSH public key (ssh-ed25519 AAAA… comment)";
        if (line.IndexOfAny(['\r', '\n', '\0']) >= 0) return "holds a line break: give exactly one key per entry";
        var parts = line.Split(' ', 3);
        if (parts.Length < 2 || !KeyTypes.Contains(parts[0], StringComparer.Ordinal)) return $"has an unknown key type '{parts[0]}'";
        byte[] blob;
        try { blob = Convert.FromBase64String(parts[1]); }
        catch (FormatException) { return "has a key that is not base64"; }
        if (blob.Length < 4) return "has a truncated key";
        var length = (blob[0] << 24) | (blob[1] << 16) | (blob[2] << 8) | blob[3];
        if (length <= 0 || length > blob.Length - 4 || Encoding.ASCII.GetString(blob, 4, length) != parts[0])
            return $"has a key blob that is not a {parts[0]} key";
        return null;
    }

    private static bool LooksLikePublicKey(string line) =>
        line.StartsWith("ssh-", StringComparison.Ordinal) || line.StartsWith("ecdsa-sha2-", StringComparison.Ordinal)
        || line.StartsWith("sk-", StringComparison.Ordinal);

    public override string ToString() => PublicKey;
}
