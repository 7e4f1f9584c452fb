using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace PacketCluster.Simulator.Boot.Kubelet;

/// <summary>The credentials a kubelet talks to its API server with: system:node:&lt;name&gt;'s client certificate.</summary>
internal sealed record NodeCredentials(string Server, X509Certificate2Collection CertificateAuthorities, string CertificatePem, string PrivateKeyPem)
{
    public IKubernetes CreateClient(SimulatedKubeletOptions options) => new k8s.Kubernetes(new KubernetesClientConfiguration
    {
        Host = Server,
        SslCaCerts = CertificateAuthorities,
        // KubernetesClient takes these as a kubeconfig holds them: base64 of the PEM.
        ClientCertificateData = Convert.ToBase64String(Encoding.ASCII.GetBytes(CertificatePem)),
        ClientCertificateKeyData = Convert.ToBase64String(Encoding.ASCII.GetBytes(PrivateKeyPem)),
        HttpClientTimeout = options.RequestTimeout,
        UserAgent = SimulatedKubelet.UserAgent,
    });
}

/// <summary>
/// The kubelet's TLS bootstrap: as the bootstrap token's user, create a node-client CertificateSigningRequest for a
/// fresh EC P-256 key and wait (bounded) until the controller manager has approved and signed it.
/// </summary>
internal sealed class TlsBootstrap(
    DiscoveredCluster cluster, string nodeName, string tokenId, string token,
    SimulatedKubeletOptions options, TimeProvider time, Action<string> say)
{
    public const string SignerName = "kubernetes.io/kube-apiserver-client-kubelet";

    /// <summary>Exactly these three: the 1.20 approver leaves a node-client CSR with any other set pending forever.</summary>
    private static readonly string[] Usages = ["digital signature", "key encipherment", "client auth"];

    private static readonly TimeSpan WaitingNoticeInterval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The API server's bootstrap-token authenticator learns of a new token Secret through its own informer, a moment
    /// after the controller manager has signed cluster-info for it: a 401 that soon is retried before it counts.
    /// </summary>
    private static readonly TimeSpan UnauthorizedGrace = TimeSpan.FromSeconds(10);

    /// <summary>The CSR's name once created.</summary>
    public string? RequestName { get; private set; }

    public async Task<NodeCredentials> RunAsync(CancellationToken stopping)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = new k8s.Kubernetes(new KubernetesClientConfiguration
        {
            Host = cluster.Server,
            SslCaCerts = cluster.CertificateAuthorities,
            AccessToken = token,
            HttpClientTimeout = options.RequestTimeout,
            UserAgent = SimulatedKubelet.UserAgent,
        });

        var deadline = time.GetUtcNow() + options.CertificateTimeout;
        var created = await CreateRequestAsync(client, SigningRequest(key), deadline, stopping);
        RequestName = created.Metadata.Name;
        say($"certificate signing request {RequestName} for system:node:{nodeName} created as system:bootstrap:{tokenId}, waiting for approval and signing");

        var certificate = await WaitForCertificateAsync(client, RequestName, deadline, stopping);
        using var issued = X509Certificate2.CreateFromPem(certificate);
        say($"certificate signing request {RequestName} approved and signed: client certificate {issued.Subject}, valid until {issued.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC");
        return new NodeCredentials(cluster.Server, cluster.CertificateAuthorities, certificate, key.ExportECPrivateKeyPem());
    }

    private V1CertificateSigningRequest SigningRequest(ECDsa key)
    {
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("system:nodes");
        subject.AddCommonName($"system:node:{nodeName}");
        var pem = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        return new V1CertificateSigningRequest
        {
            ApiVersion = "certificates.k8s.io/v1",
            Kind = "CertificateSigningRequest",
            Metadata = new V1ObjectMeta { GenerateName = "node-csr-" },
            Spec = new V1CertificateSigningRequestSpec { Request = Encoding.ASCII.GetBytes(pem), SignerName = SignerName, Usages = Usages },
        };
    }

    private async Task<V1CertificateSigningRequest> CreateRequestAsync(
        IKubernetes client, V1CertificateSigningRequest request, DateTimeOffset deadline, CancellationToken stopping)
    {
        var unauthorizedUntil = time.GetUtcNow() + UnauthorizedGrace;
        while (true)
        {
            try
            {
                return await client.CertificatesV1.CreateCertificateSigningRequestAsync(request, cancellationToken: stopping);
            }
            catch (HttpOperationException error) when (error.Response.StatusCode == HttpStatusCode.Unauthorized && time.GetUtcNow() < unauthorizedUntil)
            {
                // Not yet known to the authenticator (see UnauthorizedGrace); quietly try again.
            }
            catch (HttpOperationException error) when (error.Response.StatusCode == HttpStatusCode.Unauthorized)
            {
                throw new KubeletJoinException("kubeadm join",
                    $"error execution phase kubelet-start: the TLS bootstrap failed: bootstrap token \"{tokenId}\" rejected ({Failures.StatusText(error.Response.StatusCode)})");
            }
            catch (Exception error) when (Failures.IsTransient(error, stopping) && time.GetUtcNow() < deadline)
            {
                say($"unable to create a certificate signing request, will retry: {Failures.Describe(error)}");
            }
            catch (Exception error) when (error is HttpOperationException || Failures.IsTransient(error, stopping))
            {
                throw new KubeletJoinException("kubeadm join",
                    $"error execution phase kubelet-start: the TLS bootstrap failed: cannot create a certificate signing request: {Failures.Describe(error)}");
            }
            await Task.Delay(options.CertificatePollInterval, time, stopping);
        }
    }

    /// <returns>The signed certificate's PEM.</returns>
    private async Task<string> WaitForCertificateAsync(IKubernetes client, string name, DateTimeOffset deadline, CancellationToken stopping)
    {
        var nextNotice = time.GetUtcNow() + WaitingNoticeInterval;
        while (true)
        {
            try
            {
                var request = await client.CertificatesV1.ReadCertificateSigningRequestAsync(name, cancellationToken: stopping);
                if (request.Status?.Conditions?.FirstOrDefault(c => c.Type is "Denied" or "Failed" && c.Status == "True") is { } refusal)
                    throw new KubeletJoinException("kubelet",
                        $"certificate signing request {name} was {refusal.Type.ToLowerInvariant()}: {refusal.Reason} {refusal.Message}".TrimEnd());
                if (request.Status?.Certificate is { Length: > 0 } certificate)
                    return Encoding.ASCII.GetString(certificate);
            }
            catch (Exception error) when (Failures.IsTransient(error, stopping))
            {
                // The server is busy or gone for a moment; the deadline bounds it.
            }

            var now = time.GetUtcNow();
            if (now >= deadline)
                throw new KubeletJoinException("kubelet",
                    $"certificate signing request {name} was not approved and signed within {options.CertificateTimeout.TotalSeconds:0} s; " +
                    "is kube-controller-manager running with the csrapproving and csrsigning controllers?");
            if (now >= nextNotice)
            {
                say($"still waiting for certificate signing request {name} to be approved and signed");
                nextNotice = now + WaitingNoticeInterval;
            }
            await Task.Delay(options.CertificatePollInterval, time, stopping);
        }
    }
}
