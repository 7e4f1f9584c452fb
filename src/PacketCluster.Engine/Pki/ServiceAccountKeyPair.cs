using Org.BouncyCastle.Crypto.Parameters;

namespace PacketCluster.Engine.Pki;

/// <summary>
/// The key pair kube-apiserver signs service-account tokens with (sa.key) and verifies them with (sa.pub).
/// RSA 2048: the RS256 tokens every Kubernetes version and client library accepts.
/// </summary>
public sealed class ServiceAccountKeyPair
{
    public const string InvalidErrorId = "InvalidServiceAccountKey";

    private ServiceAccountKeyPair(string publicKeyPem, string privateKeyPem)
    {
        PublicKeyPem = publicKeyPem;
        PrivateKeyPem = privateKeyPem;
    }

    /// <summary>SPKI "PUBLIC KEY", for --service-account-key-file.</summary>
    public string PublicKeyPem { get; }

    /// <summary>PKCS#1 "RSA PRIVATE KEY", for --service-account-signing-key-file and --service-account-private-key-file.</summary>
    public string PrivateKeyPem { get; }

    public static ServiceAccountKeyPair Generate()
    {
        var keys = KeyPairs.GenerateRsa2048();
        return new ServiceAccountKeyPair(PkiPem.Write(keys.Public), PkiPem.Write(keys.Private));
    }

    /// <summary>Rebuilds the pair from its private key (the public half is derived, so the two cannot disagree).</summary>
    public static ServiceAccountKeyPair FromPrivateKey(string privateKeyPem)
    {
        if (PkiPem.TryReadPrivateKey(privateKeyPem) is not RsaPrivateCrtKeyParameters key)
            throw new PacketClusterException(InvalidErrorId, ErrorKind.InvalidData,
                "The service-account private key is not an unencrypted PEM RSA key (PKCS#1 or PKCS#8).",
                "Give an unencrypted PEM RSA private key (PKCS#1 or PKCS#8), e.g. one made with 'openssl genrsa'.");

        var publicKey = new RsaKeyParameters(false, key.Modulus, key.PublicExponent);
        return new ServiceAccountKeyPair(PkiPem.Write(publicKey), PkiPem.Write(key));
    }

    public override string ToString() => "ServiceAccountKeyPair";
}
