using System.Text;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Pki;
using PacketCluster.Models;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Operations;

/// <summary>
/// Renders the userdata the machines of a definition would boot with, for inspection (Get-PacketUserData).
/// A definition that has not been created has no PKI or elastic IP yet: the preview uses the CA supplied in the
/// spec when there is one, else a fresh PKI, and the endpoint the caller gives.
/// </summary>
public static class UserdataPreview
{
    /// <summary>TEST-NET-1 (RFC 5737): stands in for the elastic IP a definition does not have yet; never contacted.</summary>
    public const string PlaceholderEndpoint = "192.0.2.10";

    public sealed record Target(string Name, MachineSpec Spec);

    /// <summary>Every machine of the definition: Machines by name, and one example replica (name-0) per MachineSet/MachineDeployment.</summary>
    public static IReadOnlyList<Target> Targets(PacketClusterConfig config) =>
        config.Machines.Select(m => new Target(m.Name, m.Spec))
            .Concat(config.MachineSets.Where(s => s.Spec.Template?.Spec is not null).Select(s => new Target(s.Name + "-0", s.Spec.Template!.Spec!)))
            .Concat(config.MachineDeployments.Where(d => d.Spec.Template?.Spec is not null).Select(d => new Target(d.Name + "-0", d.Spec.Template!.Spec!)))
            .ToList();

    public static IReadOnlyList<PacketUserData> Render(PacketClusterConfig config, MachineConfigCatalogue catalogue, IEnumerable<Target> targets, string endpointHost)
    {
        var pki = PreviewPki(config);
        var renderer = new UserdataRenderer(catalogue);
        var all = Targets(config);
        // As the reconciler sees it: the first control plane inits, every other machine joins with a token of its own,
        // listed in the first control plane's InitConfiguration (PRODUCT.md §4).
        var first = Controllers.FirstControlPlane.Of(config.Machines)?.Name;
        var tokens = all.Where(t => t.Name != first).ToDictionary(t => t.Name, _ => BootstrapToken.Generate().Value);
        var network = config.Cluster.Spec.ClusterNetwork;
        var pin = SpkiPin.Compute(pki.ClusterCa.CertificatePem);

        return targets.Select(target =>
        {
            var controlPlane = !string.IsNullOrEmpty(target.Spec.Versions?.ControlPlane);
            var role = !controlPlane ? MachineRole.Worker : target.Name == first ? MachineRole.ControlPlane : MachineRole.JoiningControlPlane;
            var request = new UserdataRequest
            {
                Role = role,
                ClusterName = config.Name,
                NodeName = target.Name,
                MachineName = target.Name,
                KubernetesVersion = (controlPlane ? target.Spec.Versions!.ControlPlane : target.Spec.Versions?.Kubelet) ?? string.Empty,
                Image = target.Spec.ProviderSpec?.Value?.OS ?? string.Empty,
                ControlPlaneEndpointHost = endpointHost,
                PodCidr = network?.Pods?.CidrBlocks?.FirstOrDefault() ?? string.Empty,
                ServiceCidr = network?.Services?.CidrBlocks?.FirstOrDefault() ?? string.Empty,
                DnsDomain = network?.ServiceDomain ?? "cluster.local",
                CaCertificatePem = pki.ClusterCa.CertificatePem,
                CaKeyPem = controlPlane ? pki.ClusterCa.PrivateKeyPem : null,
                EtcdCaCertificatePem = controlPlane ? pki.EtcdCa.CertificatePem : null,
                EtcdCaKeyPem = controlPlane ? pki.EtcdCa.PrivateKeyPem : null,
                FrontProxyCaCertificatePem = controlPlane ? pki.FrontProxyCa.CertificatePem : null,
                FrontProxyCaKeyPem = controlPlane ? pki.FrontProxyCa.PrivateKeyPem : null,
                ServiceAccountPublicKeyPem = controlPlane ? pki.ServiceAccount.PublicKeyPem : null,
                ServiceAccountPrivateKeyPem = controlPlane ? pki.ServiceAccount.PrivateKeyPem : null,
                BootstrapTokens = role == MachineRole.ControlPlane ? tokens.Values.Append(BootstrapToken.Generate().Value).ToList() : [],
                JoinToken = role.Joins() ? tokens.GetValueOrDefault(target.Name) ?? BootstrapToken.Generate().Value : null,
                CaCertHash = role.Joins() ? pin : null,
                NodeLabels = target.Spec.Metadata?.Labels ?? new Dictionary<string, string>(),
                NodeTaints = target.Spec.Taints ?? [],
            };
            return new PacketUserData
            {
                MachineName = target.Name,
                Role = Models.ClusterApi.MachineRoles.Of(request.Role.IsControlPlane()),
                Image = request.Image,
                KubernetesVersion = request.KubernetesVersion,
                Content = renderer.Render(request),
            };
        }).ToList();
    }

    /// <summary>The PKI a preview shows: the user's CA from spec.providerSpec.value.caKeyPair when set, else a fresh one.</summary>
    private static ClusterPki PreviewPki(PacketClusterConfig config)
    {
        var generated = ClusterPki.Generate(config.Name);
        var pair = config.Cluster.Spec.ProviderSpec?.Value?.CaKeyPair;
        if (string.IsNullOrEmpty(pair?.Cert) || string.IsNullOrEmpty(pair.Key)) return generated;
        var ca = CertificateAuthority.Import(PemOrBase64(pair.Cert), PemOrBase64(pair.Key));
        return new ClusterPki(ca, generated.EtcdCa, generated.FrontProxyCa, generated.ServiceAccount);
    }

    /// <summary>The seed's caKeyPair held base64 of PEM ([]byte in Go); PEM itself is accepted too.</summary>
    internal static string PemOrBase64(string value)
    {
        if (value.TrimStart().StartsWith("-----BEGIN", StringComparison.Ordinal)) return value;
        try { return Encoding.UTF8.GetString(Convert.FromBase64String(value)); }
        catch (FormatException ex)
        {
            throw new PacketClusterException("InvalidCertificateAuthority", ErrorKind.InvalidData,
                "spec.providerSpec.value.caKeyPair must hold PEM or base64 of PEM.",
                "Put the CA certificate and key in caKeyPair as PEM (or base64 of PEM).", null, ex);
        }
    }
}
