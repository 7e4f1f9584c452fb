using System.Diagnostics;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Ssh;
using Xunit;

namespace PacketCluster.Engine.Tests.Api;

/// <summary>Input that would exhaust the machine or smuggle content: refused quickly, with a stable id and a position.</summary>
public sealed class HostileInputTests
{
    private static string Bomb(int levels)
    {
        var lines = new List<string> { "a0: &a0 [x,x,x,x,x,x,x,x,x,x]" };
        for (var i = 1; i < levels; i++) lines.Add($"a{i}: &a{i} [{string.Join(",", Enumerable.Repeat($"*a{i - 1}", 10))}]");
        return string.Join("\n", lines);
    }

    [Fact]
    public void An_alias_bomb_is_refused_at_its_first_alias_without_expanding_anything()
    {
        var watch = Stopwatch.StartNew();
        var ex = Assert.Throws<PacketClusterException>(() => YamlJsonBridge.Parse(Bomb(9), "cluster.yaml"));
        Assert.Equal("YamlAliasesNotAllowed", ex.ErrorId);
        Assert.Contains("cluster.yaml: line 2, column ", ex.Message);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact]
    public void An_anchor_without_an_alias_is_harmless_and_read()
    {
        var doc = Assert.Single(YamlJsonBridge.Parse("kind: Cluster\nmetadata: &m {name: c}\n", "c.yaml"));
        Assert.Equal("c", doc.Name);
    }

    [Theory]
    [InlineData("metadata: {name: bad1\nspec: [unclosed", "line 1, column ")]
    [InlineData("a: [1, 2\nb: 3\n", "line ")]
    [InlineData("a: b: c\n", "line 1, column ")]
    public void Every_syntax_error_is_InvalidYaml_with_file_line_and_column(string yaml, string where)
    {
        var ex = Assert.Throws<PacketClusterException>(() => YamlJsonBridge.Parse(yaml, "/defs/cluster.yaml"));
        Assert.Equal("InvalidYaml", ex.ErrorId);
        Assert.Contains("/defs/cluster.yaml: " + where, ex.Message);
        Assert.DoesNotContain("current state of the object", ex.Message);
    }

    [Fact]
    public void Nesting_deeper_than_any_definition_needs_is_refused_instead_of_overflowing_the_stack()
    {
        var ex = Assert.Throws<PacketClusterException>(() => YamlJsonBridge.Parse(new string('[', 100_000), "deep.yaml"));
        Assert.Equal("InvalidYaml", ex.ErrorId);
        Assert.Contains($"nested more than {YamlJsonBridge.MaxDepth} levels", ex.Message);
    }

    [Fact]
    public void Duplicate_keys_still_name_their_line()
    {
        var ex = Assert.Throws<PacketClusterException>(() => YamlJsonBridge.Parse("a: 1\nb: 2\na: 3\n", "d.yaml"));
        Assert.Contains("d.yaml: line 3, column 1: duplicate key 'a'", ex.Message);
    }

    [Fact]
    public void Files_over_their_cap_are_refused_before_they_are_read_whole_even_without_a_length()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, new byte[InputFile.DefinitionLimit + 1]);
            Assert.Equal("InputTooLarge", Assert.Throws<PacketClusterException>(() => InputFile.ReadAllText(path, InputFile.DefinitionLimit, "The file")).ErrorId);
            File.WriteAllText(path, "\uFEFFkind: Cluster\n");
            Assert.Equal("kind: Cluster\n", InputFile.ReadAllText(path, InputFile.DefinitionLimit, "The file"));
        }
        finally { File.Delete(path); }
        // An endless file (length 0, never at its end): read up to the cap, then refused.
        if (File.Exists("/dev/zero"))
            Assert.Equal("InputTooLarge", Assert.Throws<PacketClusterException>(() => InputFile.ReadAllText("/dev/zero", InputFile.SshPublicKeyLimit, "The key")).ErrorId);
    }

    [Theory]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 me@host", null)]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0 me\nssh-rsa AAAAB3NzaC1yc2E evil", "line break")]
    [InlineData("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0\r\ncommand=\"rm -rf /\" ssh-rsa x", "line break")]
    [InlineData("ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0", "not a ssh-rsa key")]
    [InlineData("ssh-ed25519 not*base64", "not base64")]
    [InlineData("hello", "not an SSH public key")]
    public void Ssh_keys_are_one_authorized_keys_line_of_a_known_type(string key, string? problem)
    {
        var found = SshKeyPair.PublicKeyProblem(key);
        if (problem is null) Assert.Null(found);
        else Assert.Contains(problem, found);
    }

    [Fact]
    public void The_client_refuses_userdata_over_its_cap_before_sending()
    {
        var request = new DeviceCreateRequest { Plan = "c3.small.x86", OperatingSystem = "ubuntu_22_04", Metro = "sv", Userdata = new string('#', DeviceCreateRequest.MaxUserdataBytes + 1) };
        Assert.Contains(request.Problems(), p => p.Contains("userdata"));
        Assert.Empty((request with { Userdata = new string('#', DeviceCreateRequest.MaxUserdataBytes) }).Problems());
    }
}
