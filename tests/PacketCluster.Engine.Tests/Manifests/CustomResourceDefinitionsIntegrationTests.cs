using System.Text.Json;
using PacketCluster.Engine.Api;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;
using PacketCluster.Engine.Manifests;
using PacketCluster.Engine.Tests.Kubernetes;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Manifests;

/// <summary>The CRDs on the real kube-apiserver 1.20.2: accepted, established, and every kind round-trips.</summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class CustomResourceDefinitionsIntegrationTests : IAsyncLifetime
{
    private const string Group = CustomResourceDefinitions.Group;
    private const string Version = CustomResourceDefinitions.Version;

    // How the engine writes Models objects: camelCase of the C# names, nulls left out.

    private readonly Kubectl _kubectl;
    private readonly IKubernetes _client;
    private readonly string _namespace = $"manifests-{Guid.NewGuid():N}"[..24];

    public CustomResourceDefinitionsIntegrationTests(KubeControlPlane controlPlane)
    {
        _kubectl = new Kubectl(controlPlane);
        _client = controlPlane.CreateClient();
    }

    public async Task InitializeAsync()
    {
        _kubectl.EnsureCustomResourceDefinitions();
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = _namespace } });
    }

    public async Task DisposeAsync()
    {
        await _client.CoreV1.DeleteNamespaceAsync(_namespace);
        _client.Dispose();
    }

    [Fact]
    public async Task Crds_AreEstablishedAndApprovedForTheProtectedGroup()
    {
        foreach (var plural in CustomResourceDefinitions.Plurals)
        {
            var crd = await _client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(CustomResourceDefinitions.NameOf(plural));
            var conditions = crd.Status.Conditions.ToDictionary(c => c.Type, c => c.Status);

            Assert.Equal("True", conditions["Established"]);
            Assert.Equal("True", conditions["NamesAccepted"]);
            // Without the annotation, 1.20 answers 422; with an "unapproved" value this would be False.
            Assert.Equal("True", conditions["KubernetesAPIApprovalPolicyConformant"]);
        }

        // Discovery knows the short names and the category.
        var byCategory = _kubectl.Succeed("get", "cluster-api", "-n", _namespace, "-o", "name");
        Assert.Equal(string.Empty, byCategory.Trim());
        Assert.Equal(string.Empty, _kubectl.Succeed("get", "cl,ma,ms,md", "-n", _namespace, "-o", "name").Trim());
    }

    [Fact]
    public async Task Cluster_RoundTripsSpecAndStatusThroughMergePatch()
    {
        var cluster = new Cluster
        {
            Metadata = new ObjectMeta { Name = "test1-ab12c", Namespace = _namespace, Labels = new() { ["team"] = "platform" } },
            Spec = new ClusterSpec
            {
                ClusterNetwork = new ClusterNetworkingConfig
                {
                    Services = new NetworkRanges { CidrBlocks = ["172.25.0.0/16"] },
                    Pods = new NetworkRanges { CidrBlocks = ["172.26.0.0/16"] },
                    ServiceDomain = "cluster.local",
                },
                ProviderSpec = new ClusterProviderSpec
                {
                    // The seed's cluster.yaml template: caKeyPair {cert: "", key: ""}. Empty strings need the
                    // schemas' nullable strings on this 1.20.2 build (it reports "" as null).
                    Value = new PacketClusterProviderSpec { ProjectID = ManifestTestValues.ProjectId, Metro = "da", CaKeyPair = new KeyPair { Cert = "", Key = "" } },
                },
            },
        };
        var body = ToNode(cluster);
        // The seed's template wrote the provider apiVersion without ".k8s.io"; it must be kept as written.
        body["spec"]!["providerSpec"]!["value"]!["apiVersion"] = "packetprovider/v1alpha1";

        var created = await CreateAsync("clusters", body);
        var generation = created["metadata"]!["generation"]!.GetValue<long>();
        var read = FromNode<Cluster>(await GetAsync("clusters", cluster.Name));

        Assert.Equal(["172.25.0.0/16"], read.Spec.ClusterNetwork!.Services!.CidrBlocks!);
        Assert.Equal(["172.26.0.0/16"], read.Spec.ClusterNetwork.Pods!.CidrBlocks!);
        Assert.Equal("cluster.local", read.Spec.ClusterNetwork.ServiceDomain);
        Assert.Equal(ManifestTestValues.ProjectId, read.Spec.ProviderSpec!.Value!.ProjectID);
        Assert.Equal("da", read.Spec.ProviderSpec.Value.Metro);
        Assert.Equal("packetprovider/v1alpha1", read.Spec.ProviderSpec.Value.ApiVersion);
        Assert.Equal("platform", read.Metadata.Labels!["team"]);

        var status = new ClusterStatus
        {
            ApiEndpoints = [new ApiEndpoint { Host = "127.0.0.42", Port = 6443 }],
            Phase = "Provisioned",
            Conditions = [new Condition { Type = "ControlPlaneEndpointReady", Status = "True", LastTransitionTime = new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero) }],
        };
        var patch = new JsonObject { ["status"] = ToNode(status) };
        await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), Group, Version, _namespace, "clusters", cluster.Name);

        var afterStatus = await GetAsync("clusters", cluster.Name);
        var readStatus = FromNode<Cluster>(afterStatus).Status!;
        Assert.Equal("127.0.0.42:6443", readStatus.ApiEndpoints!.Single().ToString());
        Assert.Equal("Provisioned", readStatus.Phase);
        Assert.Equal(status.Conditions[0].LastTransitionTime, readStatus.Conditions!.Single().LastTransitionTime);
        Assert.Equal(generation, afterStatus["metadata"]!["generation"]!.GetValue<long>());

        // The printer columns come from the server (Table), so this also checks their JSONPaths.
        var table = _kubectl.Succeed("get", "clusters", cluster.Name, "-n", _namespace);
        Assert.Contains("ENDPOINT", table);
        Assert.Matches(@"test1-ab12c\s+127\.0\.0\.42\s+Provisioned", table);
    }

    [Fact]
    public async Task Machine_KeepsTheSeedOsSpellingAndRoundTripsStatusThroughReplace()
    {
        var machine = new Machine
        {
            Metadata = new ObjectMeta
            {
                Name = "packet-master-0",
                Namespace = _namespace,
                Labels = new() { ["cluster.k8s.io/cluster-name"] = "test1-ab12c", ["set"] = "master" },
            },
            Spec = new MachineSpec
            {
                ProviderSpec = new MachineProviderSpec
                {
                    Value = new PacketMachineProviderSpec
                    {
                        Roles = ["Master"],
                        OS = "ubuntu_18_04",
                        Facility = ["ewr1"],
                        MachineType = "c1.small.x86",
                        BillingCycle = "hourly",
                        ProjectID = ManifestTestValues.ProjectId,
                        SshKeys = ["c3NoLXJzYSBBQUFB"],
                        SpotInstance = true,
                        SpotPriceMax = 0.25,
                    },
                },
                Versions = new MachineVersionInfo { Kubelet = "1.20.2", ControlPlane = "1.20.2" },
                Taints = [new Taint { Key = "dedicated", Value = "control-plane", Effect = "NoSchedule" }],
            },
        };
        var body = ToNode(machine);
        var value = body["spec"]!["providerSpec"]!["value"]!.AsObject();
        // Spell it as the 2019 provider's machines.yaml did, plus a key no schema knows: both must survive.
        value.Remove("os");
        value["OS"] = "ubuntu_18_04";
        value["seedOnlyKey"] = "kept";

        await CreateAsync("machines", body);
        var stored = await GetAsync("machines", machine.Name);

        var storedValue = stored["spec"]!["providerSpec"]!["value"]!;
        Assert.Equal("ubuntu_18_04", storedValue["OS"]!.GetValue<string>());
        Assert.Equal("kept", storedValue["seedOnlyKey"]!.GetValue<string>());
        var read = FromNode<Machine>(stored);
        Assert.True(read.IsControlPlane);
        var spec = read.Spec.ProviderSpec!.Value!;
        Assert.Equal("ubuntu_18_04", spec.OS);
        Assert.Equal(["ewr1"], spec.Facility!);
        Assert.Equal("c1.small.x86", spec.MachineType);
        Assert.Equal(["Master"], spec.Roles!);
        Assert.Equal(["c3NoLXJzYSBBQUFB"], spec.SshKeys!);
        Assert.True(spec.SpotInstance);
        Assert.Equal(0.25, spec.SpotPriceMax);
        Assert.Equal("NoSchedule", read.Spec.Taints!.Single().Effect);

        // Status goes through PUT /status, which needs the current resourceVersion (422 without it).
        var status = new MachineStatus
        {
            Phase = "Running",
            LastUpdated = new DateTimeOffset(2026, 11, 27, 12, 30, 0, TimeSpan.Zero),
            ProviderStatus = new PacketMachineProviderStatus { DeviceID = "0b9a2c6e-1f1e-4c55-9b1f-2f3c1d0e9a11", State = "active", Metro = "da", IpAddresses = ["127.0.0.7"] },
            Addresses = [new MachineAddress { Type = "ExternalIP", Address = "127.0.0.7" }],
            NodeRef = new ObjectReference { Kind = "Node", Name = "packet-master-0", Uid = "4a60a4bd-3029-4bcd-bed0-cdffa23c967b" },
            Versions = new MachineVersionInfo { Kubelet = "1.20.2", ControlPlane = "1.20.2" },
        };
        stored["status"] = ToNode(status);
        await _client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(stored, Group, Version, _namespace, "machines", machine.Name);

        var readStatus = FromNode<Machine>(await GetAsync("machines", machine.Name)).Status!;
        Assert.Equal("Running", readStatus.Phase);
        Assert.Equal(status.LastUpdated, readStatus.LastUpdated);
        Assert.Equal("0b9a2c6e-1f1e-4c55-9b1f-2f3c1d0e9a11", readStatus.ProviderStatus!.DeviceID);
        Assert.Equal("active", readStatus.ProviderStatus.State);
        Assert.Equal(["127.0.0.7"], readStatus.ProviderStatus.IpAddresses!);
        Assert.Equal("127.0.0.7", readStatus.Addresses!.Single().Address);
        Assert.Equal("packet-master-0", readStatus.NodeRef!.Name);

        var table = _kubectl.Succeed("get", "ma", machine.Name, "-n", _namespace);
        Assert.Matches(@"packet-master-0\s+Running\s+1\.20\.2\s+packet-master-0", table.Split('\n')[1]);
    }

    [Fact]
    public async Task MachineSet_RoundTripsTemplateAndStatus()
    {
        var machineSet = new MachineSet
        {
            Metadata = new ObjectMeta { Name = "workers-a", Namespace = _namespace },
            Spec = new MachineSetSpec
            {
                Replicas = 2,
                DeletePolicy = "Oldest",
                Selector = new LabelSelector { MatchLabels = new() { ["set"] = "node" } },
                Template = WorkerTemplate(),
            },
        };

        await CreateAsync("machinesets", ToNode(machineSet));
        var stored = await GetAsync("machinesets", machineSet.Name);
        var read = FromNode<MachineSet>(stored);

        Assert.Equal(2, read.Spec.Replicas);
        Assert.Equal("Oldest", read.Spec.DeletePolicy);
        Assert.Equal("node", read.Spec.Selector!.MatchLabels!["set"]);
        Assert.Equal("node", read.Spec.Template!.Metadata!.Labels!["set"]);
        Assert.Equal("ubuntu_24_04", read.Spec.Template.Spec!.ProviderSpec!.Value!.OS);
        Assert.Equal("da", read.Spec.Template.Spec.ProviderSpec!.Value!.Metro);
        Assert.Equal("1.20.2", read.Spec.Template.Spec.Versions!.Kubelet);

        var status = new MachineSetStatus { Replicas = 2, ReadyReplicas = 1, AvailableReplicas = 1, FullyLabeledReplicas = 2, ObservedGeneration = 1 };
        stored["status"] = ToNode(status);
        stored["status"]!["selector"] = "set=node";
        await _client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(stored, Group, Version, _namespace, "machinesets", machineSet.Name);

        var readStatus = FromNode<MachineSet>(await GetAsync("machinesets", machineSet.Name)).Status!;
        Assert.Equal(2, readStatus.Replicas);
        Assert.Equal(1, readStatus.ReadyReplicas);
        Assert.Equal(1, readStatus.AvailableReplicas);
        Assert.Equal(1L, readStatus.ObservedGeneration);

        var scale = ToNode(await _client.CustomObjects.GetNamespacedCustomObjectScaleAsync(Group, Version, _namespace, "machinesets", machineSet.Name));
        Assert.Equal(2, scale["status"]!["replicas"]!.GetValue<int>());
        Assert.Equal("set=node", scale["status"]!["selector"]!.GetValue<string>());
    }

    [Fact]
    public async Task MachineDeployment_RoundTripsAndScalesThroughTheScaleSubresource()
    {
        var deployment = new MachineDeployment
        {
            Metadata = new ObjectMeta { Name = "workers", Namespace = _namespace },
            Spec = new MachineDeploymentSpec
            {
                Replicas = 1,
                Selector = new LabelSelector { MatchLabels = new() { ["set"] = "node" } },
                Template = WorkerTemplate(),
                Strategy = new MachineDeploymentStrategy
                {
                    Type = "RollingUpdate",
                    RollingUpdate = new MachineRollingUpdateDeployment { MaxSurge = "1", MaxUnavailable = "25%" },
                },
                MinReadySeconds = 10,
                RevisionHistoryLimit = 3,
            },
        };

        await CreateAsync("machinedeployments", ToNode(deployment));
        var read = FromNode<MachineDeployment>(await GetAsync("machinedeployments", deployment.Name));
        Assert.Equal(1, read.Spec.Replicas);
        Assert.Equal("1", read.Spec.Strategy!.RollingUpdate!.MaxSurge);
        Assert.Equal("25%", read.Spec.Strategy.RollingUpdate.MaxUnavailable);
        Assert.Equal(10, read.Spec.MinReadySeconds);
        Assert.Equal("ubuntu_24_04", read.Spec.Template!.Spec!.ProviderSpec!.Value!.OS);

        _kubectl.Succeed("scale", "md/" + deployment.Name, "-n", _namespace, "--replicas=3");

        var scaled = await GetAsync("machinedeployments", deployment.Name);
        Assert.Equal(3, FromNode<MachineDeployment>(scaled).Spec.Replicas);

        var status = new MachineDeploymentStatus { Replicas = 3, UpdatedReplicas = 3, ReadyReplicas = 2, AvailableReplicas = 2, UnavailableReplicas = 1, ObservedGeneration = 2 };
        var patch = new JsonObject { ["status"] = ToNode(status) };
        patch["status"]!["selector"] = "set=node";
        await _client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch), Group, Version, _namespace, "machinedeployments", deployment.Name);

        var scale = ToNode(await _client.CustomObjects.GetNamespacedCustomObjectScaleAsync(Group, Version, _namespace, "machinedeployments", deployment.Name));
        Assert.Equal(3, scale["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(3, scale["status"]!["replicas"]!.GetValue<int>());
        Assert.Equal("set=node", scale["status"]!["selector"]!.GetValue<string>());

        var table = _kubectl.Succeed("get", "md", deployment.Name, "-n", _namespace);
        Assert.Matches(@"workers\s+3\s+2\s+2\s", table.Split('\n')[1]);
    }

    [Fact]
    public async Task Server_RejectsAValueOfTheWrongType()
    {
        var machine = new Machine { Metadata = new ObjectMeta { Name = "wrong-type", Namespace = _namespace } };
        var body = ToNode(machine);
        // facility is a list in PacketMachineProviderSpec; the typed schema catches a bare string even with unknown keys kept.
        body["spec"] = new JsonObject { ["providerSpec"] = new JsonObject { ["value"] = new JsonObject { ["facility"] = "ewr1" } } };

        var error = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => CreateAsync("machines", body));

        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, error.Response.StatusCode);
        Assert.Contains("spec.providerSpec.value.facility", error.Response.Content);
    }

    private static MachineTemplateSpec WorkerTemplate() => new()
    {
        Metadata = new ObjectMeta { Labels = new() { ["set"] = "node" } },
        Spec = new MachineSpec
        {
            ProviderSpec = new MachineProviderSpec
            {
                Value = new PacketMachineProviderSpec { Roles = ["Node"], OS = "ubuntu_24_04", Metro = "da", MachineType = "c3.small.x86", BillingCycle = "hourly", ProjectID = ManifestTestValues.ProjectId },
            },
            Versions = new MachineVersionInfo { Kubelet = "1.20.2" },
        },
    };

    private async Task<JsonNode> CreateAsync(string plural, JsonNode body) =>
        ToNode(await _client.CustomObjects.CreateNamespacedCustomObjectAsync(body, Group, Version, _namespace, plural));

    private async Task<JsonNode> GetAsync(string plural, string name) =>
        ToNode(await _client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, _namespace, plural, name));

    // The engine's own codec: what the API server stores is what the engine will read back.
    private static JsonNode ToNode(object value) => ResourceCodec.ToNode(value)!;

    private static T FromNode<T>(JsonNode node) where T : class => ResourceCodec.FromJson<T>(node.ToJsonString());
}
