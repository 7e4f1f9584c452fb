using System.Text.RegularExpressions;
using PacketCluster.Models;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Engine.Api;

/// <summary>
/// Checks the meaning of a cluster definition before anything is written or created. Every problem is
/// collected, so a user fixes them all in one go. Catalogue checks against the Packet API live elsewhere.
/// </summary>
public static partial class ClusterValidation
{
    public const string ClusterNameLabel = "cluster.k8s.io/cluster-name";
    private static readonly string[] ProviderApiVersions = { "packetprovider.k8s.io/v1alpha1", "packetprovider/v1alpha1" };
    private static readonly string[] BillingCycles = { "hourly", "daily", "monthly", "yearly" };

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex(@"^\d+\.\d+\.\d+$")]
    private static partial Regex KubernetesVersion();

    /// <summary>Validates; returns the problems found (empty when valid). <paramref name="machineConfigCheck"/> may add a problem per machine spec.</summary>
    public static IReadOnlyList<ValidationProblem> Validate(PacketClusterConfig config, Func<string, string, MachineSpec, string, ValidationProblem?>? machineConfigCheck = null)
    {
        var problems = new List<ValidationProblem>();
        var clusterSource = config.ClusterFile ?? "cluster";
        var machinesSource = config.MachinesFile ?? "machines";
        var cluster = config.Cluster;
        var clusterRef = $"Cluster/{cluster.Metadata.Name}";

        void Add(string id, string source, string obj, string field, string message) =>
            problems.Add(new ValidationProblem(id, source, obj, field, message));

        CheckKind(cluster, "Cluster", clusterSource, Add);
        CheckName(cluster.Metadata, clusterSource, clusterRef, "metadata.name", Add);
        var projectId = cluster.Spec.ProviderSpec?.Value?.ProjectID;
        var clusterSpec = cluster.Spec.ProviderSpec?.Value;
        if (clusterSpec is null)
            Add("RequiredFieldMissing", clusterSource, clusterRef, "spec.providerSpec.value", "is required (a PacketClusterProviderSpec with projectID).");
        else
        {
            CheckProviderApiVersion(clusterSpec.ApiVersion, "PacketClusterProviderSpec", clusterSpec.Kind, clusterSource, clusterRef, Add);
            if (string.IsNullOrWhiteSpace(projectId))
                Add("RequiredFieldMissing", clusterSource, clusterRef, "spec.providerSpec.value.projectID", "is required: the Packet project the cluster's devices belong to.");
            if (!string.IsNullOrEmpty(clusterSpec.Facility) && !string.IsNullOrEmpty(clusterSpec.Metro))
                Add("InvalidValue", clusterSource, clusterRef, "spec.providerSpec.value", "set either facility or metro, not both.");
        }
        CheckNetwork(cluster, clusterSource, clusterRef, Add);

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var machine in config.Machines)
        {
            var machineRef = $"Machine/{machine.Metadata.Name}";
            CheckKind(machine, "Machine", machinesSource, Add);
            CheckName(machine.Metadata, machinesSource, machineRef, "metadata.name", Add);
            if (!string.IsNullOrEmpty(machine.Metadata.Name) && !names.Add("Machine/" + machine.Metadata.Name))
                Add("DuplicateName", machinesSource, machineRef, "metadata.name", "is used by another Machine; names must be unique.");
            CheckClusterLabel(machine.Metadata.Labels, cluster.Metadata.Name, machinesSource, machineRef, "metadata.labels", Add);
            CheckMachineSpec(machine.Spec, projectId, machinesSource, machineRef, "spec", machineConfigCheck, problems);
        }

        if (config.Machines.Count(m => m.IsControlPlane) == 0)
            Add("NoControlPlane", machinesSource, "MachineList", "spec.versions.controlPlane",
                "no Machine is a control plane. Set spec.versions.controlPlane on at least one Machine (a Machine is control plane iff it is set).");

        foreach (var set in config.MachineSets)
            CheckReplicated(set, set.Spec.Replicas, set.Spec.Selector, set.Spec.Template, "MachineSet", cluster, projectId, machinesSource, names, machineConfigCheck, problems);
        foreach (var deployment in config.MachineDeployments)
            CheckReplicated(deployment, deployment.Spec.Replicas, deployment.Spec.Selector, deployment.Spec.Template, "MachineDeployment", cluster, projectId, machinesSource, names, machineConfigCheck, problems);
        // A definition made from parameters names the parameter, once, not machines.yaml once per machine.
        return ParameterAttribution.Apply(config, problems);
    }

    /// <summary>Validates and throws <see cref="ClusterConfigInvalidException"/> listing every problem.</summary>
    public static void ThrowIfInvalid(PacketClusterConfig config, Func<string, string, MachineSpec, string, ValidationProblem?>? machineConfigCheck = null)
    {
        var problems = Validate(config, machineConfigCheck);
        if (problems.Count > 0) throw new ClusterConfigInvalidException(problems);
    }

    private delegate void Reporter(string id, string source, string obj, string field, string message);

    private static void CheckKind(ResourceObject obj, string kind, string source, Reporter add)
    {
        if (!string.Equals(obj.ApiVersion, ResourceObject.ClusterApiVersion, StringComparison.Ordinal))
            add("UnexpectedKind", source, $"{kind}/{obj.Metadata.Name}", "apiVersion", $"must be {ResourceObject.ClusterApiVersion}, not '{obj.ApiVersion}'.");
    }

    private static void CheckName(ObjectMeta meta, string source, string obj, string field, Reporter add)
    {
        var name = meta.Name;
        if (string.IsNullOrEmpty(name))
            add("InvalidName", source, obj, field, "is required.");
        else if (name.Length > 63 || !Dns1123Label().IsMatch(name))
            add("InvalidName", source, obj, field,
                $"'{name}' is not a valid DNS-1123 label: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit (it becomes a hostname and a tag).");
        if (!string.IsNullOrEmpty(meta.Namespace) && (meta.Namespace.Length > 63 || !Dns1123Label().IsMatch(meta.Namespace)))
            add("InvalidName", source, obj, "metadata.namespace", $"'{meta.Namespace}' is not a valid namespace name (DNS-1123 label).");
    }

    private static void CheckClusterLabel(Dictionary<string, string>? labels, string? clusterName, string source, string obj, string field, Reporter add)
    {
        if (labels is null || !labels.TryGetValue(ClusterNameLabel, out var value) || string.IsNullOrEmpty(value))
            add("RequiredFieldMissing", source, obj, $"{field}[{ClusterNameLabel}]", $"is required and must name the cluster ('{clusterName}').");
        else if (!string.Equals(value, clusterName, StringComparison.Ordinal))
            add("InvalidValue", source, obj, $"{field}[{ClusterNameLabel}]", $"is '{value}' but the cluster is '{clusterName}'.");
    }

    private static void CheckProviderApiVersion(string? apiVersion, string expectedKind, string? kind, string source, string obj, Reporter add)
    {
        if (apiVersion is not null && !ProviderApiVersions.Contains(apiVersion, StringComparer.Ordinal))
            add("UnexpectedKind", source, obj, "spec.providerSpec.value.apiVersion", $"must be {ProviderApiVersions[0]} (or the seed's {ProviderApiVersions[1]}), not '{apiVersion}'.");
        if (kind is not null && !string.Equals(kind, expectedKind, StringComparison.Ordinal))
            add("UnexpectedKind", source, obj, "spec.providerSpec.value.kind", $"must be {expectedKind}, not '{kind}'.");
    }

    private static void CheckNetwork(Cluster cluster, string source, string obj, Reporter add)
    {
        var network = cluster.Spec.ClusterNetwork;
        if (network is null)
        {
            add("RequiredFieldMissing", source, obj, "spec.clusterNetwork", "is required (services.cidrBlocks, pods.cidrBlocks, serviceDomain).");
            return;
        }
        var parsed = new List<(string Field, Cidr Cidr)>();
        void Blocks(NetworkRanges? ranges, string field)
        {
            if (ranges?.CidrBlocks is not { Count: > 0 } blocks)
            {
                add("RequiredFieldMissing", source, obj, $"{field}.cidrBlocks", "needs at least one CIDR block, e.g. 172.25.0.0/16.");
                return;
            }
            for (var i = 0; i < blocks.Count; i++)
            {
                if (Cidr.TryParse(blocks[i], out var cidr, out var error)) parsed.Add(($"{field}.cidrBlocks[{i}]", cidr!));
                else add("InvalidCidr", source, obj, $"{field}.cidrBlocks[{i}]", error + ".");
            }
        }
        Blocks(network.Services, "spec.clusterNetwork.services");
        Blocks(network.Pods, "spec.clusterNetwork.pods");
        for (var i = 0; i < parsed.Count; i++)
            for (var j = i + 1; j < parsed.Count; j++)
                if (parsed[i].Cidr.Overlaps(parsed[j].Cidr))
                    add("OverlappingCidr", source, obj, parsed[j].Field, $"{parsed[j].Cidr} overlaps {parsed[i].Cidr} ({parsed[i].Field}); pod and service ranges must be disjoint.");
        if (string.IsNullOrWhiteSpace(network.ServiceDomain))
            add("RequiredFieldMissing", source, obj, "spec.clusterNetwork.serviceDomain", "is required, e.g. cluster.local.");
        else if (network.ServiceDomain.Split('.').Any(l => l.Length == 0 || l.Length > 63 || !Dns1123Label().IsMatch(l)))
            add("InvalidName", source, obj, "spec.clusterNetwork.serviceDomain", $"'{network.ServiceDomain}' is not a valid DNS domain.");
    }

    private static void CheckMachineSpec(MachineSpec spec, string? clusterProjectId, string source, string obj, string prefix,
        Func<string, string, MachineSpec, string, ValidationProblem?>? machineConfigCheck, List<ValidationProblem> problems)
    {
        void Add(string id, string field, string message) => problems.Add(new ValidationProblem(id, source, obj, $"{prefix}.{field}", message));

        var versions = spec.Versions;
        if (string.IsNullOrEmpty(versions?.Kubelet))
            Add("RequiredFieldMissing", "versions.kubelet", "is required, e.g. 1.20.2 (no 'v').");
        else if (!KubernetesVersion().IsMatch(versions.Kubelet))
            Add("InvalidVersion", "versions.kubelet", $"'{versions.Kubelet}' is not a Kubernetes version such as 1.20.2 (no 'v').");
        if (!string.IsNullOrEmpty(versions?.ControlPlane) && !KubernetesVersion().IsMatch(versions.ControlPlane))
            Add("InvalidVersion", "versions.controlPlane", $"'{versions.ControlPlane}' is not a Kubernetes version such as 1.20.2 (no 'v').");

        var value = spec.ProviderSpec?.Value;
        if (value is null)
        {
            Add("RequiredFieldMissing", "providerSpec.value", "is required (a PacketMachineProviderSpec).");
            return;
        }
        CheckProviderApiVersion(value.ApiVersion, "PacketMachineProviderSpec", value.Kind, source, obj,
            (id, s, o, f, m) => problems.Add(new ValidationProblem(id, s, o, f.Replace("spec.", prefix + ".", StringComparison.Ordinal), m)));
        if (string.IsNullOrWhiteSpace(value.OS))
            Add("RequiredFieldMissing", "providerSpec.value.os", "is required: the operating system slug, e.g. ubuntu_24_04.");
        if (string.IsNullOrWhiteSpace(value.MachineType))
            Add("RequiredFieldMissing", "providerSpec.value.machineType", "is required: the plan slug, e.g. c3.small.x86.");
        var hasFacility = value.Facility is { Count: > 0 };
        if (!hasFacility && string.IsNullOrWhiteSpace(value.Metro))
            Add("RequiredFieldMissing", "providerSpec.value.facility", "set a facility list (e.g. [ewr1]) or a metro (e.g. da).");
        else if (hasFacility && !string.IsNullOrWhiteSpace(value.Metro))
            Add("InvalidValue", "providerSpec.value.metro", "set either facility or metro, not both.");
        if (value.Facility?.Any(string.IsNullOrWhiteSpace) == true)
            Add("InvalidValue", "providerSpec.value.facility", "contains an empty facility code.");
        if (!string.IsNullOrEmpty(value.BillingCycle) && !BillingCycles.Contains(value.BillingCycle, StringComparer.Ordinal))
            Add("InvalidValue", "providerSpec.value.billingCycle", $"'{value.BillingCycle}' is not one of {string.Join(", ", BillingCycles)}.");
        if (!string.IsNullOrEmpty(value.ProjectID) && !string.IsNullOrEmpty(clusterProjectId) && value.ProjectID != clusterProjectId)
            Add("InvalidValue", "providerSpec.value.projectID", $"'{value.ProjectID}' differs from the cluster's project '{clusterProjectId}'.");
        if (value.Roles is { } roles)
        {
            var wantsMaster = roles.Any(r => string.Equals(r, "Master", StringComparison.OrdinalIgnoreCase));
            var isControlPlane = !string.IsNullOrEmpty(versions?.ControlPlane);
            if (wantsMaster != isControlPlane)
                Add("InvalidValue", "providerSpec.value.roles",
                    isControlPlane ? "says Node but versions.controlPlane is set (the control-plane rule wins; fix roles to [Master])."
                                   : "says Master but versions.controlPlane is empty; set versions.controlPlane to make it a control plane.");
        }
        if (value.SpotPriceMax is < 0)
            Add("InvalidValue", "providerSpec.value.spotPriceMax", "must not be negative.");
        for (var i = 0; i < (value.SshKeys?.Count ?? 0); i++)
            if (Ssh.SshKeyPair.PublicKeyProblem(value.SshKeys![i] ?? "") is { } keyProblem)
                Add("InvalidSshKey", $"providerSpec.value.sshKeys[{i}]", keyProblem + ".");

        // A machine with other problems cannot be matched meaningfully; report those first.
        if (machineConfigCheck is not null && !problems.Any(p => p.Object == obj))
        {
            var problem = machineConfigCheck(source, obj, spec, prefix);
            if (problem is not null) problems.Add(problem);
        }
    }

    private static void CheckReplicated(ResourceObject owner, int? replicas, LabelSelector? selector, MachineTemplateSpec? template, string kind,
        Cluster cluster, string? projectId, string source, HashSet<string> names,
        Func<string, string, MachineSpec, string, ValidationProblem?>? machineConfigCheck, List<ValidationProblem> problems)
    {
        var obj = $"{kind}/{owner.Metadata.Name}";
        void Add(string id, string field, string message) => problems.Add(new ValidationProblem(id, source, obj, field, message));
        CheckKind(owner, kind, source, (id, s, o, f, m) => problems.Add(new ValidationProblem(id, s, o, f, m)));
        CheckName(owner.Metadata, source, obj, "metadata.name", (id, s, o, f, m) => problems.Add(new ValidationProblem(id, s, o, f, m)));
        if (!string.IsNullOrEmpty(owner.Metadata.Name) && !names.Add(obj))
            Add("DuplicateName", "metadata.name", $"is used by another {kind}; names must be unique.");
        CheckClusterLabel(owner.Metadata.Labels, cluster.Metadata.Name, source, obj, "metadata.labels", (id, s, o, f, m) => problems.Add(new ValidationProblem(id, s, o, f, m)));
        if (replicas is < 0)
            Add("InvalidValue", "spec.replicas", "must not be negative.");
        if (template?.Spec is null)
        {
            Add("RequiredFieldMissing", "spec.template.spec", "is required: the Machine every replica is made from.");
            return;
        }
        if (!string.IsNullOrEmpty(template.Spec.Versions?.ControlPlane))
            Add("InvalidValue", "spec.template.spec.versions.controlPlane", $"must be empty: a {kind} makes workers; declare control-plane Machines on their own.");
        var matchLabels = selector?.MatchLabels;
        if (matchLabels is not { Count: > 0 })
            Add("RequiredFieldMissing", "spec.selector.matchLabels", "is required and must match spec.template.metadata.labels.");
        else if (matchLabels.Any(kv => template.Metadata?.Labels is not { } l || !l.TryGetValue(kv.Key, out var v) || v != kv.Value))
            Add("InvalidValue", "spec.selector.matchLabels", "does not match spec.template.metadata.labels; the set would never see its own machines.");
        CheckMachineSpec(template.Spec, projectId, source, obj, "spec.template.spec", machineConfigCheck, problems);
    }
}
