using PacketCluster.Engine.Metal;
using Xunit;

namespace PacketCluster.Engine.Tests.Metal;

[Collection(nameof(EnvironmentVariablesCollection))]
public class PacketApiOptionsTests
{
    [Fact]
    public void Defaults_match_the_design()
    {
        var options = new PacketApiOptions();

        Assert.Equal("https://api.equinix.com/metal/v1/", options.Endpoint.AbsoluteUri);
        Assert.Equal(6, options.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(0.5), options.RetryBaseDelay);
        Assert.Equal(TimeSpan.FromSeconds(30), options.RetryMaxDelay);
        Assert.StartsWith("PacketCluster/", options.UserAgent);
        Assert.Equal(options.UserAgent, options.ConsumerToken);
    }

    [Fact]
    public void FromEnvironment_reads_url_project_and_key()
    {
        var saved = new[] { "PACKET_API_URL", "PACKET_PROJECT_ID", "PACKET_API_KEY", "METAL_AUTH_TOKEN" }
            .ToDictionary(n => n, Environment.GetEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable("PACKET_API_URL", "http://127.0.0.1:8080/metal/v1/");
            Environment.SetEnvironmentVariable("PACKET_PROJECT_ID", "proj");
            Environment.SetEnvironmentVariable("PACKET_API_KEY", null);
            Environment.SetEnvironmentVariable("METAL_AUTH_TOKEN", "metal-key");

            var options = PacketApiOptions.FromEnvironment();

            Assert.Equal("http://127.0.0.1:8080/metal/v1/", options.Endpoint.AbsoluteUri);
            Assert.Equal("proj", options.ProjectId);
            Assert.Equal("metal-key", options.ApiKey);
            Assert.Equal("explicit", PacketApiOptions.FromEnvironment("explicit").ApiKey);

            Environment.SetEnvironmentVariable("PACKET_API_URL", "not a url");
            Assert.Equal("PacketApiOptionsInvalid", Assert.Throws<PacketClusterException>(() => PacketApiOptions.FromEnvironment()).ErrorId);
        }
        finally
        {
            foreach (var (name, value) in saved) Environment.SetEnvironmentVariable(name, value);
        }
    }

    [Fact]
    public async Task Endpoint_without_trailing_slash_keeps_its_path()
    {
        using var t = new MetalTestClient(o => o with { Endpoint = new Uri("http://127.0.0.1:8080/metal/v1") });
        t.Handler.Respond(System.Net.HttpStatusCode.OK, """{"metros":[]}""");

        await t.Client.GetMetrosAsync();

        Assert.Equal("http://127.0.0.1:8080/metal/v1/locations/metros", t.Handler.Requests[0].Uri.AbsoluteUri);
    }
}

[CollectionDefinition(nameof(EnvironmentVariablesCollection), DisableParallelization = true)]
public sealed class EnvironmentVariablesCollection;
