using YamlDotNet.RepresentationModel;
using static PacketCluster.Engine.Bootstrap.YamlNodeWriter;

namespace PacketCluster.Engine.Bootstrap;

/// <summary>
/// Renders a machine's complete userdata from its catalogue entry: for <c>#cloud-config</c> entries the template
/// plus write_files (kubeadm config, and a control plane's CAs and service-account keys) plus the final
/// <c>kubeadm init|join --config</c>; for shell entries the seed's variable header plus the script. A control plane
/// joining a running cluster needs a cloud-config entry (see <see cref="CheckRenderable"/>).
/// The output holds key material and tokens by design: never log it.
/// </summary>
public sealed class UserdataRenderer
{
    public const string KubeadmConfigPath = "/etc/kubernetes/kubeadm-config.yaml";
    public const string PkiDirectory = "/etc/kubernetes/pki";

    /// <summary>A shell (seed-style) machine config was asked to join a control plane to a running cluster.</summary>
    public const string ShellCannotJoinControlPlaneErrorId = "ShellMachineConfigCannotJoinControlPlane";

    private readonly MachineConfigCatalogue _catalogue;

    public UserdataRenderer(MachineConfigCatalogue catalogue)
    {
        _catalogue = catalogue;
    }

    /// <exception cref="PacketClusterException"><c>InvalidUserdataRequest</c> (every problem listed), or <see cref="MachineConfigNotFoundException"/>.</exception>
    public string Render(UserdataRequest request)
    {
        var (config, runtime) = Resolve(request);
        var kubeadm = KubeadmConfig.Render(request, runtime);
        if (!config.IsCloudConfig)
        {
            return ShellUserdataHeader.Render(request, runtime, kubeadm) + config.UserdataTemplate;
        }

        var values = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [CloudConfigTemplate.KubernetesVersion] = request.KubernetesVersion,
            [CloudConfigTemplate.KubernetesMinor] = string.Join('.', request.KubernetesVersion.Split('.').Take(2)),
            [CloudConfigTemplate.ContainerRuntimePackage] = runtime,
            [CloudConfigTemplate.NodeName] = request.NodeName,
            [CloudConfigTemplate.ClusterName] = request.ClusterName,
            [CloudConfigTemplate.Role] = request.Role.IsControlPlane() ? "control-plane" : "worker",
        };
        var files = new List<YamlNode> { File(KubeadmConfigPath, kubeadm, secret: true) };
        if (request.Role.IsControlPlane())
        {
            // kubeadm init keeps CAs and keys it finds in the certificates dir; these make the cluster ours. kubeadm join
            // of a control plane requires exactly these shared files to be there already (no certificate upload).
            files.Add(File($"{PkiDirectory}/ca.crt", request.CaCertificatePem!, secret: false));
            files.Add(File($"{PkiDirectory}/ca.key", request.CaKeyPem!, secret: true));
            files.Add(File($"{PkiDirectory}/etcd/ca.crt", request.EtcdCaCertificatePem!, secret: false));
            files.Add(File($"{PkiDirectory}/etcd/ca.key", request.EtcdCaKeyPem!, secret: true));
            files.Add(File($"{PkiDirectory}/front-proxy-ca.crt", request.FrontProxyCaCertificatePem!, secret: false));
            files.Add(File($"{PkiDirectory}/front-proxy-ca.key", request.FrontProxyCaKeyPem!, secret: true));
            files.Add(File($"{PkiDirectory}/sa.pub", request.ServiceAccountPublicKeyPem!, secret: false));
            files.Add(File($"{PkiDirectory}/sa.key", request.ServiceAccountPrivateKeyPem!, secret: true));
        }
        var command = request.Role.Joins()
            ? $"kubeadm join --config {KubeadmConfigPath}"
            : $"kubeadm init --config {KubeadmConfigPath}";
        return CloudConfigTemplate.Render(config.UserdataTemplate, values, files, [command]);
    }

    /// <summary>Just the kubeadm config file the userdata writes to <see cref="KubeadmConfigPath"/>.</summary>
    public string RenderKubeadmConfig(UserdataRequest request)
    {
        var (_, runtime) = Resolve(request);
        return KubeadmConfig.Render(request, runtime);
    }

    /// <summary>
    /// Refuses a role the entry's format cannot express: the seed's shell header knows a master (kubeadm init) and a
    /// node (worker join) and nothing else, so a seed-era script would init a second, separate cluster. Callers check
    /// this before they write anything.
    /// </summary>
    /// <exception cref="PacketClusterException"><see cref="ShellCannotJoinControlPlaneErrorId"/>.</exception>
    public static void CheckRenderable(MachineConfig config, MachineRole role)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (role == MachineRole.JoiningControlPlane && !config.IsCloudConfig)
        {
            throw new PacketClusterException(ShellCannotJoinControlPlaneErrorId, ErrorKind.InvalidArgument,
                $"The machine config {config} ({config.SourceName}, line {config.Line}) is a shell script, which cannot join a control plane to a running cluster: " +
                "its seed variable header only knows a first master (kubeadm init) and workers. Use a cloud-config machine config " +
                "(userdata starting with #cloud-config) for this image and version; Get-PacketMachineConfig lists the entries.",
                "Use a cloud-config machine config for control planes; Get-PacketMachineConfig lists them.", config.Info);
        }
    }

    private (MachineConfig Config, string Runtime) Resolve(UserdataRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        UserdataRequestValidation.Check(request);
        KubeadmApi.ForKubernetes(request.KubernetesVersion);
        var config = _catalogue.Find(request.Image, request.KubernetesVersion,
            request.Role.IsControlPlane() ? request.KubernetesVersion : null);
        CheckRenderable(config, request.Role);
        var runtime = request.ContainerRuntime ?? config.Info.ContainerRuntime
            ?? throw new PacketClusterException("InvalidMachineConfigs", ErrorKind.InvalidData,
                $"The machine config {config} ({config.SourceName}, line {config.Line}) names no containerRuntime, and the request names none.",
                "Add a containerRuntime to the machine config, or choose another image and version with Get-PacketMachineConfig.", config.Info);
        if (!UserdataRequestValidation.IsPackageSpec(runtime))
        {
            // It lands in shell commands: only a package spec may get through.
            throw new PacketClusterException("InvalidMachineConfigs", ErrorKind.InvalidData,
                $"The machine config {config} ({config.SourceName}, line {config.Line}) has containerRuntime '{runtime}', which is not a Debian package spec.",
                "Set containerRuntime to a Debian package spec such as docker.io or containerd=1.2.*.", config.Info);
        }
        return (config, runtime);
    }

    private static YamlMappingNode File(string path, string content, bool secret) => new()
    {
        { "path", Str(path) },
        { "owner", Str("root:root") },
        { "permissions", new YamlScalarNode(secret ? "0600" : "0644") { Style = YamlDotNet.Core.ScalarStyle.SingleQuoted } },
        { "content", Str(NormalizeText(content)) },
    };

    /// <summary>LF line ends and exactly one final newline, so PEM and YAML land as literal blocks.</summary>
    private static string NormalizeText(string text) => text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n') + "\n";
}
