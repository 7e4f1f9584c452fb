using System.Text.Json;
using k8s;
using k8s.Models;
using PacketCluster.Engine.Manifests;
using Xunit;

namespace PacketCluster.Engine.Tests.Manifests;

public class AddonsTests
{
    private static readonly string Rendered = Addons.Render(ManifestTestValues.Addons());

    [Fact]
    public void Render_MatchesGoldenFile() => GoldenFile.AssertMatches("addons.yaml", Rendered);

    [Fact]
    public void Render_EveryDocumentHasApiVersionKindAndName() => ManifestAssertions.ParseDocuments(Rendered);

    [Fact]
    public void Render_ApiKeyAppearsOnlyInTheCloudConfigSecret()
    {
        ManifestAssertions.SecretOnlyInSecrets(Rendered, ManifestTestValues.ApiKey);
        Assert.Single(Typed<V1Secret>());
    }

    [Fact]
    public void Render_CloudConfigIsJsonBothReadersUnderstand()
    {
        var secret = Typed<V1Secret>().Single();
        Assert.Equal("kube-system", secret.Metadata.NamespaceProperty);
        Assert.Equal("metal-cloud-config", secret.Metadata.Name);

        using var json = JsonDocument.Parse(secret.StringData["cloud-sa.json"]);
        Assert.Equal(ManifestTestValues.ApiKey, json.RootElement.GetProperty("apiKey").GetString());
        Assert.Equal(ManifestTestValues.ProjectId, json.RootElement.GetProperty("projectID").GetString());
        Assert.Equal("da", json.RootElement.GetProperty("metro").GetString());
        Assert.False(json.RootElement.TryGetProperty("facility", out _));
    }

    [Fact]
    public void Render_FacilityAndApiUrlReachBothReaders()
    {
        var yaml = Addons.Render(new AddonsOptions { ProjectId = "p", ApiKey = "k", Facility = "ewr1", ApiUrl = "http://127.0.0.1:8080/metal/v1/" });

        var secret = KubernetesYaml.LoadAllFromString(yaml).OfType<V1Secret>().Single();
        using var json = JsonDocument.Parse(secret.StringData["cloud-sa.json"]);
        Assert.Equal("ewr1", json.RootElement.GetProperty("facility").GetString());
        Assert.Equal("ewr1", json.RootElement.GetProperty("facility-id").GetString());
        Assert.Equal("http://127.0.0.1:8080/metal/v1/", json.RootElement.GetProperty("base-url").GetString());
        Assert.False(json.RootElement.TryGetProperty("metro", out _));
    }

    [Fact]
    public void Render_PinsEveryImage()
    {
        var images = Typed<IKubernetesObject>()
            .SelectMany(o => o switch
            {
                V1Deployment d => d.Spec.Template.Spec.Containers,
                V1StatefulSet s => s.Spec.Template.Spec.Containers,
                V1DaemonSet d => d.Spec.Template.Spec.Containers,
                _ => Enumerable.Empty<V1Container>(),
            })
            .Select(c => c.Image)
            .ToList();

        Assert.Equal(6, images.Count);
        Assert.All(images, image => Assert.Matches(@"^[a-z0-9.\-]+/[a-z0-9.\-/]+:v\d+\.\d+\.\d+$", image));
        Assert.Contains(AddonImages.CloudControllerManager, images);
        Assert.Contains(AddonImages.CsiDriver, images);
    }

    [Fact]
    public void Render_CloudControllerManagerToleratesUninitializedNodesAndMountsTheSecret()
    {
        var ccm = Typed<V1Deployment>().Single(d => d.Metadata.Name == "cloud-provider-equinix-metal");
        var pod = ccm.Spec.Template.Spec;

        Assert.Equal("kube-system", ccm.Metadata.NamespaceProperty);
        Assert.Contains(pod.Tolerations, t => t.Key == "node.cloudprovider.kubernetes.io/uninitialized" && t.Value == "true" && t.Effect == "NoSchedule");
        Assert.Contains(pod.Tolerations, t => t.Key == "CriticalAddonsOnly");
        Assert.True(pod.HostNetwork);
        Assert.Equal("metal-cloud-config", pod.Volumes.Single().Secret.SecretName);
        Assert.Contains("--cloud-config=/etc/cloud-sa/cloud-sa.json", pod.Containers[0].Command);
        Assert.Contains(Typed<V1ClusterRoleBinding>(), b => b.RoleRef.Name == "system:cloud-controller-manager" && b.Subjects.Single().Name == pod.ServiceAccountName);
    }

    [Fact]
    public void Render_CsiDriverHasItsObjectControllerNodePluginAndStorageClasses()
    {
        var driver = Typed<V1CSIDriver>().Single();
        Assert.Equal("net.packet.csi", driver.Metadata.Name);
        Assert.True(driver.Spec.AttachRequired);

        var controller = Typed<V1StatefulSet>().Single();
        Assert.Equal(new[] { "csi-provisioner", "csi-attacher", "csi-packet-driver" }, controller.Spec.Template.Spec.Containers.Select(c => c.Name));
        Assert.Contains(Typed<V1Service>(), s => s.Metadata.Name == controller.Spec.ServiceName && s.Spec.ClusterIP == "None");

        var node = Typed<V1DaemonSet>().Single();
        Assert.True(node.Spec.Template.Spec.Containers.Single(c => c.Name == "csi-packet-driver").SecurityContext.Privileged);

        var classes = Typed<V1StorageClass>().ToList();
        Assert.Equal(2, classes.Count);
        Assert.All(classes, c => Assert.Equal("net.packet.csi", c.Provisioner));
        Assert.Single(classes, c => c.Metadata.Annotations?.ContainsKey("storageclass.kubernetes.io/is-default-class") == true);
    }

    [Fact]
    public void Render_NamespacedObjectsLiveInKubeSystem()
    {
        var namespaced = Typed<IKubernetesObject<V1ObjectMeta>>()
            .Where(o => o is not (V1ClusterRole or V1ClusterRoleBinding or V1CSIDriver or V1StorageClass));

        Assert.All(namespaced, o => Assert.Equal("kube-system", o.Metadata.NamespaceProperty));
    }

    [Fact]
    public void Render_RejectsMetroWithFacilityAndMissingCredentials()
    {
        var error = Assert.Throws<PacketClusterException>(() => Addons.Render(new AddonsOptions { Metro = "da", Facility = "ewr1" }));

        Assert.Equal("ManifestOptionsInvalid", error.ErrorId);
        Assert.Contains("ProjectId", error.Message);
        Assert.Contains("ApiKey", error.Message);
        Assert.Contains("not both", error.Message);
    }

    [Fact]
    public void Options_ToStringHidesTheApiKey() =>
        Assert.DoesNotContain(ManifestTestValues.ApiKey, ManifestTestValues.Addons().ToString());

    private static IEnumerable<T> Typed<T>() => KubernetesYaml.LoadAllFromString(Rendered).OfType<T>();
}
