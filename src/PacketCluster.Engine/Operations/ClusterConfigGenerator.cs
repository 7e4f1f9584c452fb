using System.Security.Cryptography;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Manifests;
using PacketCluster.Engine.Ssh;
using PacketCluster.Models;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Operations;

/// <summary>
/// Makes a cluster definition (generate-yaml.sh parity and beyond): cluster.yaml, machines.yaml with the
/// control-plane Machines and a worker MachineDeployment, provider-components.yaml and addons.yaml.
/// Everything is validated before a single byte is written.
/// </summary>
public static class ClusterConfigGenerator
{
    public const string SshKeyFileName = "id_ed25519";

    public static GeneratedClusterConfig Generate(ClusterConfigRequest request, MachineConfigCatalogue catalogue)
    {
        var name = request.Name ?? "test1-" + RandomSuffix(5);
        var facility = request.Metro is null ? request.Facility ?? ClusterConfigRequest.DefaultFacility : null;
        var version = request.KubernetesVersion ?? NewestVersion(catalogue, request.OperatingSystem);

        SshKeyPair? generatedKey = null;
        string sshPublicKey;
        if (request.SshPublicKey is { } given)
        {
            if (!SshKeyPair.TryNormalizePublicKey(given, out sshPublicKey))
                throw new PacketClusterException("InvalidSshPublicKey", ErrorKind.InvalidArgument,
                    "The SSH public key is not an authorized_keys line (e.g. 'ssh-ed25519 AAAA… comment'). Pass the .pub file, not the private key.",
                    "Pass the public key file (.pub) to -SshPublicKeyPath, not the private key.",
                    request.SshPublicKeyFile);
        }
        else
        {
            generatedKey = SshKeyPair.Generate("packetcluster@" + name);
            sshPublicKey = generatedKey.PublicKey;
        }

        var config = new PacketClusterConfig
        {
            Cluster = NewCluster(name, request, facility),
            SshPublicKeyFile = request.SshPublicKeyFile,
        };
        for (var i = 0; i < request.ControlPlaneCount; i++)
            config.Machines.Add(NewMachine($"{name}-control-plane-{i}", name, request, facility, version, sshPublicKey, controlPlane: true));
        if (request.WorkerCount > 0)
            config.MachineDeployments.Add(NewWorkerDeployment(name, request, facility, version, sshPublicKey));
        config.ClusterFile = ClusterConfigFiles.Cluster;
        config.MachinesFile = ClusterConfigFiles.Machines;
        config.MachineConfigs = catalogue.Entries.ToArray();
        if (request.BoundParameters is { } bound) config.FromParameters = ParameterAttribution.Describe(request, name, version, bound);

        ClusterValidation.ThrowIfInvalid(config, MachineConfigCheck.For(catalogue));

        var machineConfigsYaml = catalogue.ToYaml();
        var files = new List<GeneratedFile>
        {
            new(ClusterConfigFiles.Cluster, ResourceCodec.ToYaml(config.Cluster), HoldsSecrets: false),
            new(ClusterConfigFiles.Machines, ResourceCodec.ToYaml(config.Machines.Cast<object>().Concat(config.MachineDeployments)), HoldsSecrets: false),
            new(ClusterConfigFiles.ProviderComponents, ProviderComponents.Render(new ProviderComponentsOptions
            {
                ClusterName = name, ProjectId = request.ProjectId, ApiKey = request.ApiKey, MachineConfigsYaml = machineConfigsYaml,
            }), HoldsSecrets: true),
            new(ClusterConfigFiles.Addons, Addons.Render(new AddonsOptions
            {
                ClusterName = name, ProjectId = request.ProjectId, ApiKey = request.ApiKey, Metro = request.Metro, Facility = facility,
            }), HoldsSecrets: true),
        };
        if (generatedKey is not null)
        {
            files.Add(new GeneratedFile(SshKeyFileName, generatedKey.PrivateKeyPem, HoldsSecrets: true));
            files.Add(new GeneratedFile(SshKeyFileName + ".pub", generatedKey.PublicKey + "\n", HoldsSecrets: false));
        }
        return new GeneratedClusterConfig(config, files, generatedKey);
    }

    /// <summary>The newest Kubernetes version the catalogue serves for both roles of an image.</summary>
    public static string NewestVersion(MachineConfigCatalogue catalogue, string image)
    {
        var versions = catalogue.Entries
            .Where(e => e.Image == image && string.IsNullOrEmpty(e.ControlPlane))
            .Select(e => e.Kubelet)
            .Where(v => catalogue.Entries.Any(c => c.Image == image && c.ControlPlane == v))
            .OrderByDescending(v => Version.TryParse(v, out var parsed) ? parsed : new Version())
            .ToList();
        return versions.FirstOrDefault() ?? throw new PacketClusterException("MachineConfigNotFound", ErrorKind.ObjectNotFound,
            $"-OperatingSystem {image}: the machine-config catalogue has no entry for this image. Images available: {string.Join(", ", catalogue.Entries.Select(e => e.Image).Distinct())}. Run Get-PacketMachineConfig to list them.",
            "Run Get-PacketMachineConfig and pass an image it lists to -OperatingSystem.",
            image);
    }

    private static Cluster NewCluster(string name, ClusterConfigRequest request, string? facility) => new()
    {
        Metadata = new ObjectMeta { Name = name },
        Spec = new ClusterSpec
        {
            ClusterNetwork = new ClusterNetworkingConfig
            {
                Services = new NetworkRanges { CidrBlocks = new() { request.ServiceCidr } },
                Pods = new NetworkRanges { CidrBlocks = new() { request.PodCidr } },
                ServiceDomain = request.ServiceDomain,
            },
            ProviderSpec = new ClusterProviderSpec
            {
                Value = new PacketClusterProviderSpec { ProjectID = request.ProjectId, Facility = facility, Metro = request.Metro },
            },
        },
    };

    private static Machine NewMachine(string machineName, string cluster, ClusterConfigRequest request, string? facility, string version, string sshKey, bool controlPlane) => new()
    {
        Metadata = new ObjectMeta { Name = machineName, Labels = Labels(cluster, controlPlane) },
        Spec = MachineSpecFor(request, facility, version, sshKey, controlPlane),
    };

    private static MachineDeployment NewWorkerDeployment(string cluster, ClusterConfigRequest request, string? facility, string version, string sshKey)
    {
        var labels = Labels(cluster, controlPlane: false);
        return new MachineDeployment
        {
            Metadata = new ObjectMeta { Name = $"{cluster}-worker", Labels = new(labels) },
            Spec = new MachineDeploymentSpec
            {
                Replicas = request.WorkerCount,
                Selector = new LabelSelector { MatchLabels = new(labels) },
                Template = new MachineTemplateSpec
                {
                    Metadata = new ObjectMeta { Labels = new(labels) },
                    Spec = MachineSpecFor(request, facility, version, sshKey, controlPlane: false),
                },
                Strategy = new MachineDeploymentStrategy
                {
                    Type = "RollingUpdate",
                    RollingUpdate = new MachineRollingUpdateDeployment { MaxSurge = "1", MaxUnavailable = "0" },
                },
            },
        };
    }

    private static Dictionary<string, string> Labels(string cluster, bool controlPlane) => new()
    {
        [ClusterValidation.ClusterNameLabel] = cluster,
        ["set"] = controlPlane ? "master" : "node",
    };

    private static MachineSpec MachineSpecFor(ClusterConfigRequest request, string? facility, string version, string sshKey, bool controlPlane) => new()
    {
        Versions = new MachineVersionInfo { Kubelet = version, ControlPlane = controlPlane ? version : null },
        ProviderSpec = new MachineProviderSpec
        {
            Value = new PacketMachineProviderSpec
            {
                Roles = new() { controlPlane ? "Master" : "Node" },
                OS = request.OperatingSystem,
                Facility = facility is null ? null : new() { facility },
                Metro = request.Metro,
                MachineType = request.Plan,
                BillingCycle = request.BillingCycle,
                ProjectID = request.ProjectId,
                SshKeys = new() { sshKey },
            },
        },
    };

    private static string RandomSuffix(int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(length, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }
}
