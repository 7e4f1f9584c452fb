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

    private static bool LooksLikePublicKey(string line) =>
        line.StartsWith("ssh-", StringComparison.Ordinal) || line.StartsWith("ecdsa-sha2-", StringComparison.Ordinal)
        || line.StartsWith("sk-", StringComparison.Ordinal);

    public override string ToString() => PublicKey;
}
