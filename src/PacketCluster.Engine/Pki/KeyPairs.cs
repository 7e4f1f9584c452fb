using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;

namespace PacketCluster.Engine.Pki;

/// <summary>Key generation, signing-algorithm choice and key/certificate matching for the PKI types.</summary>
internal static class KeyPairs
{
    /// <summary>One CSPRNG for all PKI work; BouncyCastle's default SecureRandom wraps the OS generator and is thread-safe.</summary>
    public static readonly SecureRandom Random = new();

    private const int RsaKeyBits = 2048;

    /// <summary>
    /// The platform's RSA (OpenSSL, CNG, Security.framework) makes the key: BouncyCastle's managed prime search took
    /// 0.5–2 s per key on a busy two-core machine, and a new cluster needs four before its first device is created.
    /// </summary>
    public static AsymmetricCipherKeyPair GenerateRsa2048()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(RsaKeyBits);
        return DotNetUtilities.GetRsaKeyPair(rsa);
    }

    /// <summary>P-256 by curve OID, so the key PEM names the curve (openssl and Go reject explicit-parameter EC keys).</summary>
    public static AsymmetricCipherKeyPair GenerateEcP256()
    {
        var generator = new ECKeyPairGenerator("EC");
        generator.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, Random));
        return generator.GenerateKeyPair();
    }

    public static string SignatureAlgorithmFor(AsymmetricKeyParameter privateKey) => privateKey switch
    {
        RsaKeyParameters => "SHA256WITHRSA",
        ECPrivateKeyParameters => "SHA256WITHECDSA",
        _ => throw new NotSupportedException($"Unsupported key type {privateKey.GetType().Name}."),
    };

    /// <summary>
    /// True when <paramref name="privateKey"/> is the partner of <paramref name="publicKey"/>. An RSA key with its CRT
    /// parameters (what PKCS#1 and PKCS#8 files hold) is checked by arithmetic: the same modulus and exponent, p·q = n,
    /// and the CRT exponents and coefficient that signing uses inverting what they must — the same answer as a signature
    /// round trip, without the two private-key operations that made every Get-PacketKubeconfig 20–30 ms slower. Other
    /// keys (EC, RSA without CRT) take the round trip, which works for any encoding.
    /// </summary>
    public static bool AreMatching(AsymmetricKeyParameter privateKey, AsymmetricKeyParameter publicKey)
    {
        if (privateKey is RsaPrivateCrtKeyParameters crt)
            return publicKey is RsaKeyParameters { IsPrivate: false } rsa && IsConsistentCrtKey(crt, rsa);
        if (privateKey is not (RsaKeyParameters or ECPrivateKeyParameters))
            return false;
        try
        {
            var challenge = new byte[32];
            Random.NextBytes(challenge);
            var algorithm = SignatureAlgorithmFor(privateKey);

            var signer = SignerUtilities.GetSigner(algorithm);
            signer.Init(true, new ParametersWithRandom(privateKey, Random));
            signer.BlockUpdate(challenge, 0, challenge.Length);
            var signature = signer.GenerateSignature();

            var verifier = SignerUtilities.GetSigner(algorithm);
            verifier.Init(false, publicKey);
            verifier.BlockUpdate(challenge, 0, challenge.Length);
            return verifier.VerifySignature(signature);
        }
        catch (Exception)
        {
            // RSA vs EC mismatch or a curve mismatch surfaces as an exception, which means "not matching".
            return false;
        }
    }

    private static bool IsConsistentCrtKey(RsaPrivateCrtKeyParameters key, RsaKeyParameters publicKey)
    {
        var one = Org.BouncyCastle.Math.BigInteger.One;
        return key.Modulus.Equals(publicKey.Modulus) && key.PublicExponent.Equals(publicKey.Exponent)
            && key.P.Multiply(key.Q).Equals(key.Modulus)
            && key.PublicExponent.Multiply(key.DP).Mod(key.P.Subtract(one)).Equals(one)
            && key.PublicExponent.Multiply(key.DQ).Mod(key.Q.Subtract(one)).Equals(one)
            && key.Q.Multiply(key.QInv).Mod(key.P).Equals(one);
    }
}
