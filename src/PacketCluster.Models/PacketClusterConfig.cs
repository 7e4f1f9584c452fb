using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Models;

/// <summary>
/// A cluster definition: the objects of cluster.yaml and machines.yaml plus where provider-components.yaml
/// and addons.yaml live. Made by New-PacketClusterConfig or Import-PacketClusterConfig; later cmdlets take it
/// from the pipeline. Holds no API key and no private key material.
/// </summary>
public sealed class PacketClusterConfig
{
    /// <summary>The cluster's name (metadata.name of the Cluster).</summary>
    public string Name => Cluster.Metadata.Name ?? string.Empty;

    /// <summary>The folder the files were read from or written to.</summary>
    public string? Directory { get; set; }

    public Cluster Cluster { get; set; } = new();
    public List<Machine> Machines { get; set; } = new();
    public List<MachineSet> MachineSets { get; set; } = new();
    public List<MachineDeployment> MachineDeployments { get; set; } = new();
    /// <summary>Health checks the definition brings (none: New-PacketCluster records the default one for the workers).</summary>
    public List<MachineHealthCheck> MachineHealthChecks { get; set; } = new();

    /// <summary>Path of cluster.yaml.</summary>
    public string? ClusterFile { get; set; }
    /// <summary>Path of machines.yaml.</summary>
    public string? MachinesFile { get; set; }
    /// <summary>Path of provider-components.yaml (holds the API key).</summary>
    public string? ProviderComponentsFile { get; set; }
    /// <summary>Path of addons.yaml (holds the API key).</summary>
    public string? AddonsFile { get; set; }
    /// <summary>Path of the SSH public key whose content the machines carry in sshKeys, when known.</summary>
    public string? SshPublicKeyFile { get; set; }

    /// <summary>
    /// Set when the definition was made from cmdlet parameters (the quick form of New-PacketCluster, and
    /// New-PacketClusterConfig before it writes files): each parameter's name with the text to show for it, e.g.
    /// Plan → "-Plan c9.huge" (or "-Plan c3.small.x86 (default)"), so validation names what the user typed instead of
    /// files they never wrote. Null for a definition read from or written to files.
    /// </summary>
    public Dictionary<string, string>? FromParameters { get; set; }

    /// <summary>The machine-config catalogue in force: the one inside provider-components.yaml, else the shipped one.</summary>
    public MachineConfigInfo[] MachineConfigs { get; set; } = Array.Empty<MachineConfigInfo>();

    public string ProjectId => Cluster.Spec.ProviderSpec?.Value?.ProjectID ?? string.Empty;
    public string? Facility => Cluster.Spec.ProviderSpec?.Value?.Facility ?? FirstMachineSpec?.Facility?.FirstOrDefault();
    public string? Metro => Cluster.Spec.ProviderSpec?.Value?.Metro ?? FirstMachineSpec?.Metro;
    /// <summary>Where the cluster goes: its metro, else its facility.</summary>
    public string? Location => Metro ?? Facility;
    public int ControlPlaneCount => Machines.Count(m => m.IsControlPlane);
    public int WorkerCount => Machines.Count(m => !m.IsControlPlane) + MachineDeployments.Sum(d => d.Spec.Replicas ?? 1) + MachineSets.Sum(s => s.Spec.Replicas ?? 1);
    public string? KubernetesVersion => Machines.FirstOrDefault(m => m.IsControlPlane)?.Spec.Versions?.ControlPlane;

    private PacketMachineProviderSpec? FirstMachineSpec => Machines.FirstOrDefault()?.Spec.ProviderSpec?.Value;

    /// <summary>These objects with the files, folder and machine-config catalogue of another definition (a recorded cluster resumed by a request).</summary>
    public PacketClusterConfig WithFilesOf(PacketClusterConfig other) => new()
    {
        Cluster = Cluster, Machines = Machines, MachineSets = MachineSets, MachineDeployments = MachineDeployments, MachineHealthChecks = MachineHealthChecks,
        Directory = other.Directory, ClusterFile = other.ClusterFile, MachinesFile = other.MachinesFile, ProviderComponentsFile = other.ProviderComponentsFile,
        AddonsFile = other.AddonsFile, SshPublicKeyFile = other.SshPublicKeyFile, MachineConfigs = other.MachineConfigs,
    };

    public override string ToString() => Name;
}
