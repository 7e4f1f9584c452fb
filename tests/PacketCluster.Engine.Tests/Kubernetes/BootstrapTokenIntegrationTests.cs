using System.Net;
using System.Net.Http.Headers;
using k8s;
using k8s.Autorest;
using PacketCluster.Engine.Pki;
using Xunit;

namespace PacketCluster.Engine.Tests.Kubernetes;

[Collection(KubeControlPlaneCollection.Name)]
public sealed class BootstrapTokenIntegrationTests(KubeControlPlane controlPlane)
{
    /// <summary>The bootstrap-token authenticator reads Secrets through an informer, so a new one takes a moment to count.</summary>
    private static readonly TimeSpan InformerDelayBound = TimeSpan.FromSeconds(15);

    /// <summary>The token cleaner acts on the Secret's add event; this bounds a busy machine.</summary>
    private static readonly TimeSpan CleanerBound = TimeSpan.FromSeconds(30);

    private const string SecretsPath = "/api/v1/namespaces/kube-system/secrets";

    [Fact]
    public async Task Token_is_rejected_until_its_secret_exists_then_authenticates_as_system_bootstrap()
    {
        var token = BootstrapToken.Generate();
        using var http = controlPlane.CreateHttpClient();
        using var admin = controlPlane.CreateClient();

        using (var before = await SendAsync(http, token))
            Assert.Equal(HttpStatusCode.Unauthorized, before.StatusCode);

        await admin.CoreV1.CreateNamespacedSecretAsync(token.ToSecret(DateTimeOffset.UtcNow.AddHours(1), "integration test"), "kube-system");
        try
        {
            var (status, body) = await PollAsync(http, token, until: HttpStatusCode.Forbidden);

            Assert.Equal(HttpStatusCode.Forbidden, status);
            Assert.StartsWith($"secrets is forbidden: User \"system:bootstrap:{token.Id}\" cannot list resource \"secrets\"", KubeStatus.Message(body));
        }
        finally
        {
            await admin.CoreV1.DeleteNamespacedSecretAsync(token.SecretName, "kube-system");
        }
    }

    [Fact]
    public async Task Wrong_secret_for_a_known_id_is_rejected()
    {
        var token = BootstrapToken.Generate();
        var impostor = BootstrapToken.Parse($"{token.Id}.{new string('0', 16)}");
        using var http = controlPlane.CreateHttpClient();
        using var admin = controlPlane.CreateClient();
        await admin.CoreV1.CreateNamespacedSecretAsync(token.ToSecret(DateTimeOffset.UtcNow.AddHours(1)), "kube-system");
        try
        {
            await PollAsync(http, token, until: HttpStatusCode.Forbidden);

            using var response = await SendAsync(http, impostor);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        finally
        {
            await admin.CoreV1.DeleteNamespacedSecretAsync(token.SecretName, "kube-system");
        }
    }

    [Fact]
    public async Task Controller_manager_token_cleaner_deletes_an_expired_token_secret()
    {
        var token = BootstrapToken.Generate();
        using var admin = controlPlane.CreateClient();

        await admin.CoreV1.CreateNamespacedSecretAsync(token.ToSecret(DateTimeOffset.UtcNow.AddMinutes(-1)), "kube-system");

        var deadline = DateTime.UtcNow + CleanerBound;
        while (await SecretExistsAsync(admin, token.SecretName) && DateTime.UtcNow < deadline)
            await Task.Delay(TimeSpan.FromMilliseconds(250));
        Assert.False(await SecretExistsAsync(admin, token.SecretName), $"{token.SecretName} still exists after {CleanerBound}");
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, BootstrapToken token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, SecretsPath);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
        return await http.SendAsync(request);
    }

    private static async Task<(HttpStatusCode Status, string Body)> PollAsync(HttpClient http, BootstrapToken token, HttpStatusCode until)
    {
        var deadline = DateTime.UtcNow + InformerDelayBound;
        while (true)
        {
            using var response = await SendAsync(http, token);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode == until || DateTime.UtcNow > deadline)
                return (response.StatusCode, body);
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }

    private static async Task<bool> SecretExistsAsync(IKubernetes client, string name)
    {
        try
        {
            await client.CoreV1.ReadNamespacedSecretAsync(name, "kube-system");
            return true;
        }
        catch (HttpOperationException error) when (error.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }
}
