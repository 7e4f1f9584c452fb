using PacketCluster.Engine.Operations;
using PacketCluster.Models;

namespace PacketCluster.Engine.Api;

/// <summary>
/// For a definition made from cmdlet parameters (<see cref="PacketClusterConfig.FromParameters"/>): turns each validation
/// problem into one about the parameter the value came from ("-Plan c9.huge"), not about a machines.yaml the user never
/// wrote, and reports each parameter's problem once (not once per machine made from it).
/// </summary>
public static class ParameterAttribution
{
    /// <summary>What to show for each quick-form parameter: "-Plan c9.huge" when typed, "-Plan c3.small.x86 (default)" otherwise.</summary>
    public static Dictionary<string, string> Describe(ClusterConfigRequest request, string name, string version, IReadOnlyCollection<string> bound)
    {
        var values = new Dictionary<string, string?>
        {
            ["Name"] = name,
            ["Metro"] = request.Metro,
            ["Facility"] = request.Metro is null ? request.Facility ?? ClusterConfigRequest.DefaultFacility : null,
            ["ControlPlaneCount"] = request.ControlPlaneCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["WorkerCount"] = request.WorkerCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Plan"] = request.Plan,
            ["OperatingSystem"] = request.OperatingSystem,
            ["KubernetesVersion"] = version,
            ["PodCidr"] = request.PodCidr,
            ["ServiceCidr"] = request.ServiceCidr,
            ["ServiceDomain"] = request.ServiceDomain,
            ["SshPublicKeyPath"] = request.SshPublicKeyFile,
        };
        var typed = new HashSet<string>(bound, StringComparer.OrdinalIgnoreCase);
        return values.Where(kv => kv.Value is not null).ToDictionary(
            kv => kv.Key,
            kv => typed.Contains(kv.Key) ? $"-{kv.Key} {kv.Value}" : $"-{kv.Key} {kv.Value} (default)");
    }

    /// <summary>The problems as they read for this definition: unchanged for files; per parameter, each once, for the quick form.</summary>
    public static IReadOnlyList<ValidationProblem> Apply(PacketClusterConfig config, IReadOnlyList<ValidationProblem> problems)
    {
        if (config.FromParameters is not { Count: > 0 } parameters || problems.Count == 0) return problems;
        var result = new List<ValidationProblem>();
        var seen = new HashSet<(string, string)>();
        foreach (var problem in problems)
        {
            var names = ParametersFor(problem).Where(parameters.ContainsKey).ToList();
            if (names.Count == 0)
            {
                result.Add(problem);
                continue;
            }
            // Name what the user typed; only when they typed none of them, the defaults that were used.
            var typed = names.Where(n => !parameters[n].EndsWith("(default)", StringComparison.Ordinal)).ToList();
            var shown = string.Join(" ", (typed.Count > 0 ? typed : names).Select(n => parameters[n]));
            if (seen.Add((problem.ErrorId, shown))) result.Add(problem with { Parameter = shown });
        }
        return result;
    }

    private static IEnumerable<string> ParametersFor(ValidationProblem problem)
    {
        var field = problem.Field;
        if (problem.ErrorId == "NoControlPlane") return ["ControlPlaneCount"];
        if (field.EndsWith("providerSpec.value.machineType", StringComparison.Ordinal))
            return problem.ErrorId is "NoCapacity" or "PlanNotAvailable" ? ["Plan", "Metro", "Facility"] : ["Plan"];
        if (field.EndsWith("providerSpec.value.metro", StringComparison.Ordinal)) return ["Metro"];
        if (field.EndsWith("providerSpec.value.facility", StringComparison.Ordinal)) return ["Facility"];
        if (field.EndsWith("providerSpec.value.os", StringComparison.Ordinal))
            return problem.ErrorId switch
            {
                "OperatingSystemNotSupported" => ["OperatingSystem", "Plan"],
                "MachineConfigNotFound" or "AmbiguousMachineConfig" => ["OperatingSystem", "KubernetesVersion"],
                _ => ["OperatingSystem"],
            };
        if (field.Contains("versions.", StringComparison.Ordinal)) return ["KubernetesVersion"];
        if (field.Contains("providerSpec.value.sshKeys", StringComparison.Ordinal)) return ["SshPublicKeyPath"];
        if (field.StartsWith("spec.clusterNetwork.services", StringComparison.Ordinal)) return ["ServiceCidr"];
        if (field.StartsWith("spec.clusterNetwork.pods", StringComparison.Ordinal))
            return problem.ErrorId == "OverlappingCidr" ? ["PodCidr", "ServiceCidr"] : ["PodCidr"];
        if (field.StartsWith("spec.clusterNetwork.serviceDomain", StringComparison.Ordinal)) return ["ServiceDomain"];
        if (field == "spec.replicas") return ["WorkerCount"];
        if (field == "metadata.name") return ["Name"];
        return [];
    }
}
