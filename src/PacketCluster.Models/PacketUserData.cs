namespace PacketCluster.Models;

/// <summary>The cloud-init userdata a machine would boot with. Content holds key material: treat it as a secret.</summary>
public sealed class PacketUserData
{
    public string MachineName { get; set; } = string.Empty;
    /// <summary>ControlPlane or Worker.</summary>
    public string Role { get; set; } = string.Empty;
    public string Image { get; set; } = string.Empty;
    public string KubernetesVersion { get; set; } = string.Empty;
    public string Content { get; set; } = string.Empty;
    /// <summary>The size of the userdata in bytes (UTF-8); Packet accepts at most 64 KiB.</summary>
    public int Bytes => System.Text.Encoding.UTF8.GetByteCount(Content);

    // The content holds private keys and tokens: never let it reach a log through ToString.
    public override string ToString() => $"userdata for {MachineName}";
}
