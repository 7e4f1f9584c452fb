using System.Text;

namespace PacketCluster.Engine.Bootstrap;

/// <summary>
/// The seed's variable header for shell-script entries: "#!/bin/bash", then one assignment per variable in the
/// seed's names and order (seed-provider.md §4.2), so a seed-era script still finds what it reads. PacketCluster's
/// own variables follow the seed's: the complete kubeadm config and the control plane's other CAs and keys, all
/// base64 of the file contents like the seed's MASTER_CA_*.
/// </summary>
internal static class ShellUserdataHeader
{
    public static string Render(UserdataRequest r, string containerRuntime, string kubeadmConfig)
    {
        var vars = new List<(string Name, string Value)>();
        var machine = $"{r.MachineNamespace}/{r.EffectiveMachineName}";
        if (r.Role == MachineRole.ControlPlane)
        {
            vars.Add(("KUBELET_VERSION", r.KubernetesVersion));
            // The seed rendered an empty TOKEN for a master; its tokens are in the kubeadm config.
            vars.Add(("TOKEN", string.Empty));
            vars.Add(("PORT", r.ControlPlaneEndpointPort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            vars.Add(("NAMESPACE", r.MachineNamespace));
            vars.Add(("MACHINE", machine));
            vars.Add(("CONTROL_PLANE_VERSION", r.KubernetesVersion));
            vars.Add(("CLUSTER_DNS_DOMAIN", r.DnsDomain));
            vars.Add(("POD_CIDR", r.PodCidr));
            vars.Add(("SERVICE_CIDR", r.ServiceCidr));
            vars.Add(("MASTER_CA_CERTIFICATE", Base64(r.CaCertificatePem!)));
            vars.Add(("MASTER_CA_PRIVATE_KEY", Base64(r.CaKeyPem!)));
            vars.Add(("ROLE", "master"));
            vars.Add(("CR_PACKAGE", containerRuntime));
        }
        else
        {
            vars.Add(("KUBELET_VERSION", r.KubernetesVersion));
            vars.Add(("MASTER", KubeadmConfig.Endpoint(r)));
            vars.Add(("TOKEN", r.JoinToken!));
            vars.Add(("NAMESPACE", r.MachineNamespace));
            vars.Add(("MACHINE", machine));
            vars.Add(("CLUSTER_DNS_DOMAIN", r.DnsDomain));
            vars.Add(("POD_CIDR", r.PodCidr));
            vars.Add(("SERVICE_CIDR", r.ServiceCidr));
            vars.Add(("ROLE", "node"));
            vars.Add(("CR_PACKAGE", containerRuntime));
        }

        vars.Add(("NODE_NAME", r.NodeName));
        vars.Add(("KUBEADM_CONFIG", Base64(kubeadmConfig)));
        if (r.Role == MachineRole.ControlPlane)
        {
            vars.Add(("ETCD_CA_CERTIFICATE", Base64(r.EtcdCaCertificatePem!)));
            vars.Add(("ETCD_CA_PRIVATE_KEY", Base64(r.EtcdCaKeyPem!)));
            vars.Add(("FRONT_PROXY_CA_CERTIFICATE", Base64(r.FrontProxyCaCertificatePem!)));
            vars.Add(("FRONT_PROXY_CA_PRIVATE_KEY", Base64(r.FrontProxyCaKeyPem!)));
            vars.Add(("SA_PUBLIC_KEY", Base64(r.ServiceAccountPublicKeyPem!)));
            vars.Add(("SA_PRIVATE_KEY", Base64(r.ServiceAccountPrivateKeyPem!)));
        }
        else
        {
            vars.Add(("MASTER_CA_CERT_HASH", r.CaCertHash!));
        }

        var text = new StringBuilder("#!/bin/bash\n");
        foreach (var (name, value) in vars)
        {
            text.Append(name).Append('=').Append(Quote(value)).Append('\n');
        }
        return text.ToString();
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));

    /// <summary>Single-quoted for sh: nothing inside is expanded.</summary>
    internal static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
