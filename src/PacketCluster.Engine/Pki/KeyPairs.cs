using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;

namespace PacketCluster.Engine.Pki;

/// <summary>Key generation, signing-algorithm choice and key/certificate matching for the PKI types.</summary>
internal static class KeyPairs
{
    /// <summary>One CSPRNG for all PKI work; BouncyCastle's default SecureRandom wraps the OS generator and is thread-safe.</summary>
    public static readonly SecureRandom Random = new();

    private const int RsaKeyBits = 2048;
    private static readonly BigInteger RsaPublicExponent = BigInteger.ValueOf(65537);

    public static AsymmetricCipherKeyPair GenerateRsa2048()
    {
        var generator = new RsaKeyPairGenerator();
        generator.Init(new RsaKeyGenerationParameters(RsaPublicExponent, Random, RsaKeyBits, certainty: 100));
        return generator.GenerateKeyPair();
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
    /// True when <paramref name="privateKey"/> is the partner of <paramref name="publicKey"/>. A signature round trip works
    /// for RSA and EC alike and does not depend on how either key was encoded.
    /// </summary>
    public static bool AreMatching(AsymmetricKeyParameter privateKey, AsymmetricKeyParameter publicKey)
    {
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
}
