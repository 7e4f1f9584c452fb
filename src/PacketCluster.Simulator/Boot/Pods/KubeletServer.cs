using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace PacketCluster.Simulator.Boot.Pods;

/// <summary>
/// The kubelet API's log endpoint (<c>GET /containerLogs/{namespace}/{pod}/{container}</c>, with <c>tailLines</c> and
/// <c>follow</c>) on port 10250 of the node's addresses, which <c>kubectl logs</c> reaches through the API server.
/// Its serving certificate comes from the cluster CA as a real kubelet's does with serverTLSBootstrap: a
/// <c>kubernetes.io/kubelet-serving</c> CSR for the node's name and addresses, which the PacketCluster engine approves
/// for its own Machines and kube-controller-manager signs. Clients must present a certificate of the cluster CA in
/// the <c>system:masters</c> group (the API server's kubelet client); the simulator does no webhook authorization.
/// </summary>
internal sealed class KubeletServer : IAsyncDisposable
{
    public const int Port = 10250;
    public const string ServingSigner = "kubernetes.io/kubelet-serving";
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SlowPoll = TimeSpan.FromSeconds(10);
    /// <summary>How long the kubelet waits for its serving CSR to be approved (a real one retries forever; the console says so once).</summary>
    private static readonly TimeSpan ApprovalBound = TimeSpan.FromMinutes(30);

    private readonly IKubernetes _client;
    private readonly string _nodeName;
    private readonly IReadOnlyList<IPAddress> _addresses;
    private readonly X509Certificate2Collection _clusterCa;
    private readonly KubeletPods _pods;
    private readonly Action<string> _say;
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;
    private WebApplication? _app;

    public KubeletServer(IKubernetes client, string nodeName, IReadOnlyList<IPAddress> addresses, X509Certificate2Collection clusterCa, KubeletPods pods, Action<string> say)
    {
        _client = client;
        _nodeName = nodeName;
        _addresses = addresses;
        _clusterCa = clusterCa;
        _pods = pods;
        _say = say;
    }

    public void Start() => _run = Task.Run(() => RunAsync(_stop.Token));

    private async Task RunAsync(CancellationToken stopping)
    {
        try
        {
            var certificate = await ServingCertificateAsync(stopping);
            if (certificate is null) return;
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(kestrel =>
            {
                foreach (var address in _addresses)
                {
                    kestrel.Listen(address, Port, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
                    {
                        ServerCertificate = certificate,
                        ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                        ClientCertificateValidation = (client, _, _) => IsApiServerClient(client),
                    }));
                }
            });
            var app = builder.Build();
            app.Run(ServeAsync);
            await app.StartAsync(stopping);
            _app = app;
            _say($"kubelet API serving on {string.Join(", ", _addresses.Select(a => $"{a}:{Port}"))} with a certificate from the cluster CA (container logs)");
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The device stopped.
        }
        catch (Exception e) when (e is IOException or HttpOperationException or HttpRequestException or InvalidOperationException or CryptographicException)
        {
            _say($"kubelet API not served: {e.Message}");
        }
    }

    /// <summary>Requests the serving certificate and waits for it; null when it is refused or never comes within the bound.</summary>
    private async Task<X509Certificate2?> ServingCertificateAsync(CancellationToken stopping)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName("system:nodes");
        subject.AddCommonName($"system:node:{_nodeName}");
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(_nodeName);
        foreach (var address in _addresses) names.AddIpAddress(address);
        request.CertificateExtensions.Add(names.Build());
        var csr = new V1CertificateSigningRequest
        {
            ApiVersion = "certificates.k8s.io/v1",
            Kind = "CertificateSigningRequest",
            Metadata = new V1ObjectMeta { GenerateName = "csr-" },
            Spec = new V1CertificateSigningRequestSpec
            {
                Request = Encoding.ASCII.GetBytes(request.CreateSigningRequestPem()),
                SignerName = ServingSigner,
                Usages = ["digital signature", "key encipherment", "server auth"],
            },
        };
        var deadline = DateTimeOffset.UtcNow + ApprovalBound;
        string? name = null;
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                name ??= (await _client.CertificatesV1.CreateCertificateSigningRequestAsync(csr, cancellationToken: stopping)).Metadata.Name;
                var current = await _client.CertificatesV1.ReadCertificateSigningRequestAsync(name, cancellationToken: stopping);
                if (current.Status?.Conditions?.FirstOrDefault(c => c.Type is "Denied" or "Failed" && c.Status == "True") is { } refusal)
                {
                    _say($"kubelet serving certificate request {name} was {refusal.Type.ToLowerInvariant()} ({refusal.Reason}); the kubelet API is not served");
                    return null;
                }
                if (current.Status?.Certificate is { Length: > 0 } signed)
                {
                    using var issued = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(signed));
                    using var withKey = issued.CopyWithPrivateKey(key);
                    // Kestrel wants a certificate whose key it can use on every platform: a PKCS#12 round trip.
                    return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
                }
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or TaskCanceledException && !stopping.IsCancellationRequested)
            {
                // The API server is busy or restarting; the bound holds.
            }
            // Every second while the cluster's manager would approve it soon; then every 10 s (a cluster nobody manages).
            await Task.Delay(DateTimeOffset.UtcNow + ApprovalBound - deadline < TimeSpan.FromMinutes(1) ? Poll : SlowPoll, stopping);
        }
        _say($"kubelet serving certificate request {name} was not approved within {ApprovalBound.TotalMinutes:F0} minutes; the kubelet API is not served");
        return null;
    }

    private bool IsApiServerClient(X509Certificate2 client) =>
        Kubelet.ClusterTrust.ChainsTo(_clusterCa, client) && client.SubjectName.EnumerateRelativeDistinguishedNames()
            .Any(n => n.GetSingleElementType().Value == "2.5.4.10" && n.GetSingleElementValue() == "system:masters");

    private async Task ServeAsync(HttpContext context)
    {
        var parts = context.Request.Path.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
        if (context.Request.Method != "GET" || parts.Length != 4 || parts[0] != "containerLogs")
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync("the simulated kubelet serves only /containerLogs/{namespace}/{pod}/{container}\n");
            return;
        }
        var worker = _pods.Find(parts[1], parts[2]);
        var path = worker?.LogPath(parts[3]);
        if (path is null || !File.Exists(path))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            await context.Response.WriteAsync($"container \"{parts[3]}\" in pod \"{parts[2]}\" is not available on node {_nodeName}\n");
            return;
        }
        context.Response.ContentType = "text/plain";
        var tail = int.TryParse(context.Request.Query["tailLines"], out var lines) && lines >= 0 ? lines : (int?)null;
        var follow = context.Request.Query["follow"] == "true";
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        if (tail is { } n)
        {
            var all = await new StreamReader(stream).ReadToEndAsync(context.RequestAborted);
            var selected = all.Split('\n').SkipLast(1).TakeLast(n);
            foreach (var line in selected) await context.Response.WriteAsync(line + "\n", context.RequestAborted);
        }
        else await stream.CopyToAsync(context.Response.Body, context.RequestAborted);
        if (!follow) return;
        // follow: what is appended, until the caller hangs up or the kubelet stops.
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stop.Token);
        try
        {
            while (!ended.IsCancellationRequested)
            {
                await context.Response.Body.FlushAsync(ended.Token);
                await Task.Delay(500, ended.Token);
                await stream.CopyToAsync(context.Response.Body, ended.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // The caller hung up.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await _run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_app is not null)
        {
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await _app.StopAsync(bounded.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await _app.DisposeAsync();
        }
        _stop.Dispose();
    }
}
