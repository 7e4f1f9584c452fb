using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace PacketCluster.Simulator.Boot.Kubelet;

/// <summary>The Node and Lease a v1.20.2 kubelet on a Packet machine would write.</summary>
internal sealed class NodeObjects(KubeletJoinRequest request, int leaseDurationSeconds, DateTime started)
{
    public const string LeaseNamespace = "kube-node-lease";
    public const string KubeletVersion = "v1.20.2";

    public string Name => request.NodeName;

    /// <summary>The request's labels plus the well-known ones the kubelet always sets (the request cannot override them).</summary>
    public IDictionary<string, string> Labels()
    {
        var labels = new Dictionary<string, string>(request.Labels);
        labels["kubernetes.io/hostname"] = Name;
        labels["kubernetes.io/os"] = "linux";
        labels["kubernetes.io/arch"] = "amd64";
        labels["beta.kubernetes.io/os"] = "linux";
        labels["beta.kubernetes.io/arch"] = "amd64";
        return labels;
    }

    public V1Node Node(DateTime now) => new()
    {
        ApiVersion = "v1",
        Kind = "Node",
        Metadata = new V1ObjectMeta
        {
            Name = Name,
            Labels = Labels(),
            Annotations = new Dictionary<string, string> { ["volumes.kubernetes.io/controller-managed-attach-detach"] = "true" },
        },
        Spec = new V1NodeSpec { ProviderID = request.ProviderId, Taints = request.Taints.Count > 0 ? request.Taints.ToList() : null },
        Status = Status(now),
    };

    /// <summary>A merge patch for an existing Node: our labels, and the providerID only if it has none (it cannot change once set).</summary>
    public V1Patch MetadataPatch(V1Node existing)
    {
        var patch = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = JsonNode.Parse(KubernetesJson.Serialize(Labels())) } };
        if (string.IsNullOrEmpty(existing.Spec?.ProviderID))
            patch["spec"] = new JsonObject { ["providerID"] = request.ProviderId };
        return new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch);
    }

    /// <summary>The whole status as a merge patch for nodes/status: conditions (Ready with a fresh heartbeat), addresses, capacity, nodeInfo.</summary>
    public V1Patch StatusPatch(DateTime now) =>
        new(new JsonObject { ["status"] = JsonNode.Parse(KubernetesJson.Serialize(Status(now))) }.ToJsonString(), V1Patch.PatchType.MergePatch);

    public V1NodeStatus Status(DateTime now)
    {
        var capacity = request.Capacity ?? NodeCapacity.Default;
        var resources = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(capacity.Cpus.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ["memory"] = new(capacity.MemoryQuantity),
            ["pods"] = new(NodeCapacity.Pods.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ["ephemeral-storage"] = new("226981648Ki"),
            ["hugepages-2Mi"] = new("0"),
        };
        var allocatable = new Dictionary<string, ResourceQuantity>(resources)
        {
            ["memory"] = new(capacity.AllocatableMemoryQuantity),
            ["ephemeral-storage"] = new("209186332068"),
        };
        return new V1NodeStatus
        {
            Addresses = Addresses(),
            Capacity = resources,
            Allocatable = allocatable,
            Conditions =
            [
                Condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available", now),
                Condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", now),
                Condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", now),
                Condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", now),
            ],
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = 10250 } },
            NodeInfo = new V1NodeSystemInfo
            {
                MachineID = StableId("machine"),
                SystemUUID = StableUuid("system"),
                BootID = StableUuid($"boot-{started.Ticks}"),
                KernelVersion = "5.4.0-66-generic",
                OsImage = "Ubuntu 20.04.2 LTS",
                ContainerRuntimeVersion = "containerd://1.4.4",
                KubeletVersion = KubeletVersion,
                KubeProxyVersion = KubeletVersion,
                OperatingSystem = "linux",
                Architecture = "amd64",
            },
        };
    }

    public V1Lease Lease(V1Node node, DateTime now) => new()
    {
        ApiVersion = "coordination.k8s.io/v1",
        Kind = "Lease",
        Metadata = new V1ObjectMeta
        {
            Name = Name,
            NamespaceProperty = LeaseNamespace,
            // As the kubelet does: the lease goes when its Node is deleted.
            OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = Name, Uid = node.Metadata.Uid }],
        },
        Spec = new V1LeaseSpec { HolderIdentity = Name, LeaseDurationSeconds = leaseDurationSeconds, RenewTime = now },
    };

    private List<V1NodeAddress> Addresses()
    {
        var addresses = request.Addresses.Select(a => new V1NodeAddress { Type = a.Key, Address = a.Value }).ToList();
        if (!addresses.Any(a => a.Type == "Hostname"))
            addresses.Add(new V1NodeAddress { Type = "Hostname", Address = Name });
        return addresses;
    }

    /// <summary>Heartbeat now; the transition at start, since this kubelet is Ready from its first status on.</summary>
    private V1NodeCondition Condition(string type, string status, string reason, string message, DateTime now) =>
        new() { Type = type, Status = status, Reason = reason, Message = message, LastHeartbeatTime = now, LastTransitionTime = started };

    private string StableId(string purpose) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{purpose}:{request.ProviderId}")))[..32];

    private string StableUuid(string purpose) => new Guid(Convert.FromHexString(StableId(purpose))).ToString();
}
