using System.Text.Json;
using k8s;
using k8s.Models;
using PacketCluster.Engine.Manifests;
using Xunit;

namespace PacketCluster.Engine.Tests.Manifests;

public class CustomResourceDefinitionsTests
{
    [Fact]
    public void All_ReturnsTheFiveKindsInGroupClusterK8sIo()
    {
        var crds = CustomResourceDefinitions.AllTyped();

        Assert.Equal(
            new[] { "clusters.cluster.k8s.io", "machines.cluster.k8s.io", "machinesets.cluster.k8s.io", "machinedeployments.cluster.k8s.io", "machinehealthchecks.cluster.k8s.io" },
            crds.Select(c => c.Metadata.Name));
        Assert.Equal(new[] { "Cluster", "Machine", "MachineSet", "MachineDeployment", "MachineHealthCheck" }, crds.Select(c => c.Spec.Names.Kind));
        Assert.All(crds, crd =>
        {
            Assert.Equal("apiextensions.k8s.io/v1", crd.ApiVersion);
            Assert.Equal("cluster.k8s.io", crd.Spec.Group);
            Assert.Equal("Namespaced", crd.Spec.Scope);
            var version = Assert.Single(crd.Spec.Versions);
            Assert.Equal("v1alpha1", version.Name);
            Assert.True(version.Served);
            Assert.True(version.Storage);
            Assert.NotNull(version.Subresources.Status);
            Assert.Equal(new[] { "cluster-api" }, crd.Spec.Names.Categories);
            Assert.Equal(crd.Spec.Names.Kind + "List", crd.Spec.Names.ListKind);
            // Protected group: kube-apiserver answers 422 without the approval annotation.
            Assert.StartsWith("https://", crd.Metadata.Annotations["api-approved.kubernetes.io"]);
        });
    }

    [Fact]
    public void ShortNames_AreCapiStyleAndAvoidBuiltIns()
    {
        var shortNames = CustomResourceDefinitions.AllTyped().ToDictionary(c => c.Spec.Names.Plural, c => Assert.Single(c.Spec.Names.ShortNames));

        Assert.Equal("cl", shortNames["clusters"]);
        Assert.Equal("ma", shortNames["machines"]);
        Assert.Equal("ms", shortNames["machinesets"]);
        Assert.Equal("md", shortNames["machinedeployments"]);
        Assert.Equal("mhc", shortNames["machinehealthchecks"]);
        // Short names of Kubernetes 1.20 built-ins that a collision would shadow.
        var builtIns = new[] { "cm", "cs", "ds", "deploy", "ep", "ev", "hpa", "ing", "limits", "ns", "no", "pvc", "pv", "po", "pdb", "psp", "rs", "rc", "quota", "sa", "svc", "crd", "crds", "sc", "netpol", "csr", "pc", "cj", "sts" };
        Assert.Empty(shortNames.Values.Intersect(builtIns));
    }

    [Fact]
    public void ScaleSubresource_OnMachineSetAndMachineDeploymentOnly()
    {
        foreach (var crd in CustomResourceDefinitions.AllTyped())
        {
            var scale = crd.Spec.Versions[0].Subresources.Scale;
            if (crd.Spec.Names.Kind is "MachineSet" or "MachineDeployment")
            {
                Assert.NotNull(scale);
                Assert.Equal(".spec.replicas", scale.SpecReplicasPath);
                Assert.Equal(".status.replicas", scale.StatusReplicasPath);
                Assert.Equal(".status.selector", scale.LabelSelectorPath);
                Assert.Equal("string", crd.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["status"].Properties["selector"].Type);
            }
            else
            {
                Assert.Null(scale);
            }
        }
    }

    [Theory]
    [InlineData("clusters", "Endpoint,Phase,Age")]
    [InlineData("machines", "ProviderID,Phase,Version,NodeName,Age")]
    [InlineData("machinesets", "Replicas,Ready,Available,Age")]
    [InlineData("machinedeployments", "Replicas,Ready,Available,Age")]
    public void PrinterColumns_AreTheAgreedOnes(string plural, string columns)
    {
        var crd = CustomResourceDefinitions.AllTyped().Single(c => c.Spec.Names.Plural == plural);

        Assert.Equal(columns, string.Join(',', crd.Spec.Versions[0].AdditionalPrinterColumns.Select(c => c.Name)));
        Assert.All(crd.Spec.Versions[0].AdditionalPrinterColumns, c => Assert.StartsWith(".", c.JsonPath));
    }

    [Fact]
    public void MachineSpecSchema_IsTheSameInMachinesMachineSetsAndMachineDeployments()
    {
        var crds = CustomResourceDefinitions.AllTyped().ToDictionary(c => c.Spec.Names.Plural);
        var machine = SchemaJson(crds["machines"].Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"]);

        foreach (var plural in new[] { "machinesets", "machinedeployments" })
        {
            var template = crds[plural].Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["template"];
            Assert.Equal(machine, SchemaJson(template.Properties["spec"]));
        }
    }

    [Fact]
    public void ProviderSpecValue_IsTypedAndKeepsUnknownKeys()
    {
        var crds = CustomResourceDefinitions.AllTyped().ToDictionary(c => c.Spec.Names.Plural);
        var machineValue = crds["machines"].Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["providerSpec"].Properties["value"];
        var clusterValue = crds["clusters"].Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["spec"].Properties["providerSpec"].Properties["value"];

        Assert.True(machineValue.XKubernetesPreserveUnknownFields);
        Assert.True(clusterValue.XKubernetesPreserveUnknownFields);
        Assert.Equal("string", machineValue.Properties["OS"].Type);
        Assert.Equal("string", machineValue.Properties["os"].Type);
        Assert.Equal("array", machineValue.Properties["facility"].Type);
        Assert.Equal("string", clusterValue.Properties["projectID"].Type);
    }

    [Fact]
    public void Schemas_AreStructural()
    {
        // A structural schema gives every node a type, except int-or-string nodes (kube-apiserver rejects
        // the CRD otherwise); the integration tests prove the server agrees.
        foreach (var crd in CustomResourceDefinitions.AllTyped())
        {
            AssertStructural(crd.Spec.Versions[0].Schema.OpenAPIV3Schema, crd.Metadata.Name);
        }
    }

    [Fact]
    public void Schemas_LetEveryStringBeNullable()
    {
        // kube-apiserver 1.20.2 built with Go >= 1.19 (our test and simulator server) rejects "" in a plain
        // `type: string` field as null; nullable lets "" through there and changes nothing else elsewhere.
        foreach (var crd in CustomResourceDefinitions.AllTyped())
        {
            AssertStringsNullable(crd.Spec.Versions[0].Schema.OpenAPIV3Schema, crd.Metadata.Name);
        }
    }

    [Fact]
    public void Render_JoinsTheFiveDocumentsWithoutMaintainerComments()
    {
        var yaml = CustomResourceDefinitions.Render();

        var documents = ManifestAssertions.ParseDocuments(yaml);
        Assert.Equal(5, documents.Count);
        Assert.DoesNotContain("a test keeps them equal", yaml);
        GoldenFile.AssertMatches("crds.yaml", yaml);
    }

    [Fact]
    public void AllTyped_ReturnsFreshObjects()
    {
        var first = CustomResourceDefinitions.AllTyped();
        first[0].Metadata.Name = "changed";

        Assert.Equal("clusters.cluster.k8s.io", CustomResourceDefinitions.AllTyped()[0].Metadata.Name);
    }

    private static void AssertStructural(V1JSONSchemaProps schema, string path)
    {
        if (schema.XKubernetesIntOrString != true)
        {
            Assert.False(string.IsNullOrEmpty(schema.Type), $"{path} has no type");
        }

        foreach (var (name, child) in schema.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
        {
            AssertStructural(child, $"{path}.{name}");
        }

        if (schema.Items is V1JSONSchemaProps items)
        {
            AssertStructural(items, path + "[]");
        }
        else if (schema.Items is JsonElement element)
        {
            AssertStructural(KubernetesJson.Deserialize<V1JSONSchemaProps>(element.GetRawText()), path + "[]");
        }
    }

    private static void AssertStringsNullable(V1JSONSchemaProps schema, string path)
    {
        if (schema.Type == "string")
        {
            Assert.True(schema.Nullable == true, $"{path} is a string but not nullable");
        }

        foreach (var (name, child) in schema.Properties ?? new Dictionary<string, V1JSONSchemaProps>())
        {
            AssertStringsNullable(child, $"{path}.{name}");
        }

        if (schema.Items is JsonElement element)
        {
            AssertStringsNullable(KubernetesJson.Deserialize<V1JSONSchemaProps>(element.GetRawText()), path + "[]");
        }
        else if (schema.Items is V1JSONSchemaProps items)
        {
            AssertStringsNullable(items, path + "[]");
        }

        if (schema.AdditionalProperties is JsonElement additional && additional.ValueKind == JsonValueKind.Object)
        {
            AssertStringsNullable(KubernetesJson.Deserialize<V1JSONSchemaProps>(additional.GetRawText()), path + "{}");
        }
    }

    private static string SchemaJson(V1JSONSchemaProps schema) => KubernetesJson.Serialize(schema);
}
