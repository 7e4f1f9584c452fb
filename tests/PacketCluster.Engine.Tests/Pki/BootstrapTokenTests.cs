using PacketCluster.Engine.Pki;
using Xunit;

namespace PacketCluster.Engine.Tests.Pki;

public sealed class BootstrapTokenTests
{
    [Fact]
    public void Generated_tokens_have_kubeadm_shape_and_differ()
    {
        var tokens = Enumerable.Range(0, 500).Select(_ => BootstrapToken.Generate()).ToList();

        Assert.All(tokens, token =>
        {
            Assert.Matches("^[a-z0-9]{6}$", token.Id);
            Assert.Matches("^[a-z0-9]{16}$", token.Secret);
            Assert.Equal($"{token.Id}.{token.Secret}", token.Value);
        });
        Assert.Equal(tokens.Count, tokens.Select(t => t.Value).Distinct().Count());
    }

    [Fact]
    public void Generated_secrets_use_the_whole_alphabet()
    {
        var seen = string.Concat(Enumerable.Range(0, 500).Select(_ => BootstrapToken.Generate().Secret)).Distinct().Count();

        Assert.Equal(36, seen);
    }

    [Fact]
    public void ToString_shows_the_id_but_never_the_secret()
    {
        var token = BootstrapToken.Parse("abcdef.0123456789abcdef");

        Assert.Equal("bootstrap-token-abcdef", token.ToString());
        Assert.DoesNotContain("0123456789abcdef", $"{token}");
        Assert.Equal("system:bootstrap:abcdef", token.UserName);
    }

    [Fact]
    public void Parse_splits_id_and_secret()
    {
        var token = BootstrapToken.Parse("7k2q9x.b4n8r1m5t3w6y0z2");

        Assert.Equal("7k2q9x", token.Id);
        Assert.Equal("b4n8r1m5t3w6y0z2", token.Secret);
        Assert.Equal("7k2q9x.b4n8r1m5t3w6y0z2", token.Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abcdef0123456789abcdef")]
    [InlineData("ABCDEF.0123456789abcdef")]
    [InlineData("abcde.0123456789abcdef")]
    [InlineData("abcdef.0123456789abcde")]
    [InlineData("abcdef.0123456789abcdef0")]
    [InlineData(" abcdef.0123456789abcdef")]
    [InlineData("abcdef.0123456789abcdef\n")]
    [InlineData("abcdef.0123456789abcd-f")]
    public void Parse_rejects_malformed_tokens_without_echoing_them(string value)
    {
        var error = Assert.Throws<PacketClusterException>(() => BootstrapToken.Parse(value));

        Assert.Equal("InvalidBootstrapToken", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        if (value.Trim().Length > 0)
            Assert.DoesNotContain(value.Trim(), error.Message);
        Assert.False(BootstrapToken.TryParse(value, out _));
    }

    [Fact]
    public void ToSecret_has_the_keys_kube_apiserver_and_kubeadm_expect()
    {
        var token = BootstrapToken.Parse("abcdef.0123456789abcdef");

        var secret = token.ToSecret(new DateTimeOffset(2030, 1, 2, 5, 4, 5, TimeSpan.FromHours(2)), "for worker-1");

        Assert.Equal("bootstrap-token-abcdef", secret.Metadata.Name);
        Assert.Equal("kube-system", secret.Metadata.NamespaceProperty);
        Assert.Equal("bootstrap.kubernetes.io/token", secret.Type);
        Assert.Equal(new Dictionary<string, string>
        {
            ["token-id"] = "abcdef",
            ["token-secret"] = "0123456789abcdef",
            ["expiration"] = "2030-01-02T03:04:05Z",
            ["usage-bootstrap-authentication"] = "true",
            ["usage-bootstrap-signing"] = "true",
            ["auth-extra-groups"] = "system:bootstrappers:kubeadm:default-node-token",
            ["description"] = "for worker-1",
        }, secret.StringData);
    }

    [Fact]
    public void ToSecret_without_description_has_no_description_key()
    {
        var secret = BootstrapToken.Generate().ToSecret(DateTimeOffset.UtcNow.AddHours(1));

        Assert.False(secret.StringData.ContainsKey("description"));
    }
}
