using PacketCluster.Engine.Api;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Operations;

/// <summary>Turns the catalogue's exact-match rule into a validation problem for a machine spec.</summary>
public static class MachineConfigCheck
{
    public static Func<string, string, MachineSpec, string, ValidationProblem?> For(MachineConfigCatalogue catalogue) =>
        (source, obj, spec, prefix) =>
        {
            try
            {
                catalogue.Find(spec.ProviderSpec?.Value?.OS ?? string.Empty, spec.Versions?.Kubelet ?? string.Empty, spec.Versions?.ControlPlane);
                return null;
            }
            catch (PacketClusterException ex)
            {
                return new ValidationProblem(ex.ErrorId, source, obj, $"{prefix}.providerSpec.value.os", ex.Message);
            }
        };
}
