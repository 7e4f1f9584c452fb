using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.OpenSsl;
using Org.BouncyCastle.X509;

namespace PacketCluster.Engine.Pki;

/// <summary>PEM in and out of BouncyCastle objects. Readers return null for input they cannot use; callers own the error text.</summary>
internal static class PkiPem
{
    /// <summary>
    /// Writes a certificate or key the way kubeadm does: RSA private keys as PKCS#1 "RSA PRIVATE KEY",
    /// EC private keys as SEC1 "EC PRIVATE KEY", public keys as SPKI "PUBLIC KEY".
    /// </summary>
    public static string Write(object certificateOrKey)
    {
        using var text = new StringWriter();
        var writer = new PemWriter(text);
        writer.WriteObject(certificateOrKey);
        writer.Writer.Flush();
        return text.ToString().Replace("\r\n", "\n");
    }

    /// <summary>The first certificate in <paramref name="pem"/>, or null when there is none or it does not parse.</summary>
    public static X509Certificate? TryReadCertificate(string? pem)
    {
        foreach (var item in TryReadAll(pem))
        {
            if (item is X509Certificate certificate)
                return certificate;
        }
        return null;
    }

    /// <summary>
    /// The first private key in <paramref name="pem"/>: PKCS#1 "RSA PRIVATE KEY", SEC1 "EC PRIVATE KEY"
    /// (openssl may put an "EC PARAMETERS" block first) or unencrypted PKCS#8 "PRIVATE KEY".
    /// </summary>
    public static AsymmetricKeyParameter? TryReadPrivateKey(string? pem)
    {
        foreach (var item in TryReadAll(pem))
        {
            switch (item)
            {
                case AsymmetricCipherKeyPair pair:
                    return pair.Private;
                case AsymmetricKeyParameter { IsPrivate: true } key:
                    return key;
            }
        }
        return null;
    }

    private static IEnumerable<object> TryReadAll(string? pem)
    {
        if (string.IsNullOrWhiteSpace(pem))
            return [];

        var items = new List<object>();
        try
        {
            using var text = new StringReader(pem);
            var reader = new PemReader(text);
            while (reader.ReadObject() is { } item)
                items.Add(item);
        }
        catch (Exception)
        {
            // Parser messages can quote the PEM they choked on; the caller reports a key-free reason instead.
        }
        return items;
    }
}
