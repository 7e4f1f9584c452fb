namespace PacketCluster.Engine.Metal;

/// <summary>An SSH public key given inline at device creation (<c>ssh_keys[]</c>, spec SSHKeyInput).</summary>
public sealed record DeviceSshKey(string Label, string Key);
