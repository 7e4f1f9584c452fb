using k8s;
using k8s.Models;
using PacketCluster.Engine.Manifests;
using Xunit;

namespace PacketCluster.Engine.Tests.Manifests;

public class ProviderComponentsTests
{
    private static readonly string Rendered = ProviderComponents.Render(ManifestTestValues.ProviderComponents());

    [Fact]
    public void Render_MatchesGoldenFile() => GoldenFile.AssertMatches("provider-components.yaml", Rendered);

    [Fact]
    public void Render_EveryDocumentHasApiVersionKindAndName() => ManifestAssertions.ParseDocuments(Rendered);

    [Fact]
    public void Render_ListsObjectsInApplyOrder()
    {
        var documents = ManifestAssertions.ParseDocuments(Rendered);

        Assert.Equal(
            new[]
            {
                "Namespace/cluster-api-provider-packet-system",
                "CustomResourceDefinition/clusters.cluster.k8s.io",
                "CustomResourceDefinition/machines.cluster.k8s.io",
                "CustomResourceDefinition/machinesets.cluster.k8s.io",
                "CustomResourceDefinition/machinedeployments.cluster.k8s.io",
                "CustomResourceDefinition/machinehealthchecks.cluster.k8s.io",
                "ServiceAccount/cluster-api-provider-packet-manager",
                "ClusterRole/cluster-api-provider-packet-manager-role",
                "ClusterRoleBinding/cluster-api-provider-packet-manager-rolebinding",
                "Role/cluster-api-provider-packet-leader-election-role",
                "RoleBinding/cluster-api-provider-packet-leader-election-rolebinding",
                "ConfigMap/cluster-api-provider-packet-machine-configs",
                "Secret/cluster-api-provider-packet-credentials",
                "Deployment/cluster-api-provider-packet-controller-manager",
            },
            documents.Select(d => $"{ManifestAssertions.Kind(d)}/{ManifestAssertions.Name(d)}"));
    }

    [Fact]
    public void Render_ApiKeyAppearsOnlyInTheCredentialsSecret() =>
        ManifestAssertions.SecretOnlyInSecrets(Rendered, ManifestTestValues.ApiKey);

    [Fact]
    public void Render_CredentialsSecretKeepsTheSeedKeys()
    {
        var secret = Typed<V1Secret>().Single();

        Assert.Equal("Opaque", secret.Type);
        Assert.Equal("cluster-api-provider-packet-system", secret.Metadata.NamespaceProperty);
        Assert.Equal(ManifestTestValues.ApiKey, secret.StringData["apiKey"]);
        Assert.Equal(ManifestTestValues.ProjectId, secret.StringData["projectID"]);
        Assert.Equal(ManifestTestValues.ClusterName, secret.Metadata.Labels["cluster.k8s.io/cluster-name"]);
    }

    [Fact]
    public void Render_MachineConfigsRoundTripThroughTheConfigMap()
    {
        var configMap = Typed<V1ConfigMap>().Single();

        Assert.Equal(ManifestTestValues.MachineConfigsYaml, configMap.Data["machine_configs.yaml"]);
    }

    [Fact]
    public void Render_ManagerDeploymentWiresCredentialsConfigAndProbes()
    {
        var deployment = Typed<V1Deployment>().Single();
        var pod = deployment.Spec.Template.Spec;
        var manager = Assert.Single(pod.Containers);

        // Two replicas with leader election, never on one node: losing a node leaves one standing by.
        Assert.Equal(2, deployment.Spec.Replicas);
        var antiAffinity = Assert.Single(pod.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution);
        Assert.Equal("kubernetes.io/hostname", antiAffinity.TopologyKey);
        Assert.Equal(deployment.Spec.Selector.MatchLabels["app.kubernetes.io/name"], antiAffinity.LabelSelector.MatchLabels["app.kubernetes.io/name"]);
        Assert.Equal("ghcr.io/packetcluster/manager:0.1.0", manager.Image);
        Assert.Equal("cluster-api-provider-packet-manager", pod.ServiceAccountName);
        Assert.Contains("--leader-elect", manager.Args);
        Assert.Contains("--machine-configs=/etc/machineconfig/machine_configs.yaml", manager.Args);
        // Probes for the kubelet on the pod address; /metrics has no authentication, so it stays inside the pod.
        Assert.Contains("--health-addr=:9440", manager.Args);
        Assert.Contains("--metrics-addr=127.0.0.1:8080", manager.Args);
        Assert.Equal(["healthz"], manager.Ports.Select(p => p.Name));
        var env = manager.Env.ToDictionary(e => e.Name);
        Assert.Equal("apiKey", env["PACKET_API_KEY"].ValueFrom.SecretKeyRef.Key);
        Assert.Equal("cluster-api-provider-packet-credentials", env["PACKET_API_KEY"].ValueFrom.SecretKeyRef.Name);
        Assert.Equal("projectID", env["PACKET_PROJECT_ID"].ValueFrom.SecretKeyRef.Key);
        Assert.Equal("metadata.namespace", env["POD_NAMESPACE"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("spec.nodeName", env["NODE_NAME"].ValueFrom.FieldRef.FieldPath);
        Assert.False(env.ContainsKey("PACKET_API_URL"));
        Assert.Equal("2", env["MALLOC_ARENA_MAX"].Value); // what ManagerBench measures the memory target with
        var mount = Assert.Single(manager.VolumeMounts);
        Assert.Equal("/etc/machineconfig", mount.MountPath);
        Assert.True(mount.ReadOnlyProperty);
        Assert.Equal("cluster-api-provider-packet-machine-configs", pod.Volumes.Single(v => v.Name == mount.Name).ConfigMap.Name);
        Assert.Equal("healthz", manager.LivenessProbe.HttpGet.Port.Value);
        Assert.Equal("healthz", manager.ReadinessProbe.HttpGet.Port.Value);
        Assert.NotNull(manager.Resources.Limits["memory"]);
        Assert.Contains(pod.Tolerations, t => t.Key == "node-role.kubernetes.io/master" && t.Effect == "NoSchedule");
        Assert.Contains(pod.Tolerations, t => t.Key == "node-role.kubernetes.io/control-plane" && t.Effect == "NoSchedule");
        Assert.Contains(pod.Tolerations, t => t.Key == "CriticalAddonsOnly");
        Assert.Contains(pod.Tolerations, t => t.Key == "node.kubernetes.io/unreachable" && t.TolerationSeconds == 15);
        Assert.Contains(pod.Tolerations, t => t.Key == "node.kubernetes.io/not-ready" && t.TolerationSeconds == 15);
    }

    [Fact]
    public void Render_ClusterRoleCoversTheCrsSubresourcesAndSecrets()
    {
        var rules = Typed<V1ClusterRole>().Single().Rules;

        bool Allows(string group, string resource, string verb) =>
            rules.Any(r => r.ApiGroups.Contains(group) && r.Resources.Contains(resource) && r.Verbs.Contains(verb));

        foreach (var plural in CustomResourceDefinitions.Plurals)
        {
            Assert.True(Allows("cluster.k8s.io", plural, "delete"), plural);
            Assert.True(Allows("cluster.k8s.io", plural + "/status", "patch"), plural + "/status");
        }

        Assert.True(Allows("cluster.k8s.io", "machinedeployments/scale", "update"));
        Assert.True(Allows("cluster.k8s.io", "machinesets/scale", "update"));
        // Seed defect 7(a): the 2019 ClusterRole had no secrets rule.
        foreach (var verb in new[] { "get", "list", "watch", "create", "update", "patch", "delete" })
        {
            Assert.True(Allows("", "secrets", verb), "secrets " + verb);
        }

        Assert.True(Allows("", "nodes", "delete"));
        Assert.True(Allows("", "events", "create"));
        Assert.True(Allows("", "configmaps", "get"));
        var leases = Typed<V1Role>().Single();
        Assert.Equal("cluster-api-provider-packet-system", leases.Metadata.NamespaceProperty);
        Assert.Contains(leases.Rules, r => r.ApiGroups.Contains("coordination.k8s.io") && r.Resources.Contains("leases") && r.Verbs.Contains("update"));
    }

    [Fact]
    public void Render_HonoursImageAndApiUrl()
    {
        var yaml = ProviderComponents.Render(new ProviderComponentsOptions
        {
            ProjectId = "p",
            ApiKey = "k",
            MachineConfigsYaml = "items: []\n",
            ManagerImage = "registry.example/manager:dev",
            ApiUrl = "http://127.0.0.1:8080/metal/v1/",
        });

        var manager = KubernetesYaml.LoadAllFromString(yaml).OfType<V1Deployment>().Single().Spec.Template.Spec.Containers[0];
        Assert.Equal("registry.example/manager:dev", manager.Image);
        Assert.Equal("http://127.0.0.1:8080/metal/v1/", manager.Env.Single(e => e.Name == "PACKET_API_URL").Value);
    }

    [Fact]
    public void Render_ReportsEveryProblemAtOnceWithoutEchoingTheKey()
    {
        var error = Assert.Throws<PacketClusterException>(() => ProviderComponents.Render(new ProviderComponentsOptions
        {
            ClusterName = "Not_A_Label",
            ApiKey = "secret with spaces",
            MachineConfigsYaml = "items: [unclosed",
            Version = "-bad",
            ApiUrl = "ftp://example",
        }));

        Assert.Equal("ManifestOptionsInvalid", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidArgument, error.Kind);
        foreach (var option in new[] { "ClusterName", "ProjectId", "ApiKey", "MachineConfigsYaml", "Version", "ApiUrl" })
        {
            Assert.Contains(option, error.Message);
        }

        Assert.DoesNotContain("secret with spaces", error.Message);
    }

    [Fact]
    public void Options_ToStringHidesTheApiKey()
    {
        var text = ManifestTestValues.ProviderComponents().ToString();

        Assert.DoesNotContain(ManifestTestValues.ApiKey, text);
        Assert.Contains(ManifestTestValues.ClusterName, text);
    }

    private static IEnumerable<T> Typed<T>() => KubernetesYaml.LoadAllFromString(Rendered).OfType<T>();
}
