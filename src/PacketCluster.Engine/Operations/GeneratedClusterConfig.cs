using PacketCluster.Engine.Ssh;
using PacketCluster.Models;

namespace PacketCluster.Engine.Operations;

/// <summary>A generated definition: the config object and the exact file contents to write.</summary>
public sealed record GeneratedClusterConfig(PacketClusterConfig Config, IReadOnlyList<GeneratedFile> Files, SshKeyPair? GeneratedSshKey);

/// <summary>One file of a definition. <see cref="HoldsSecrets"/> files carry the API key or a private key.</summary>
public sealed record GeneratedFile(string FileName, string Content, bool HoldsSecrets)
{
    public override string ToString() => FileName;
}
