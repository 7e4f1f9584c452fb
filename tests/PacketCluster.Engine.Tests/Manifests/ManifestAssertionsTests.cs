using Xunit;
using Xunit.Sdk;

namespace PacketCluster.Engine.Tests.Manifests;

public class ManifestAssertionsTests
{
    [Fact]
    public void ParseDocuments_RejectsAQuantityWrittenAsABareNumber()
    {
        const string yaml = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    resources:\n      limits:\n        cpu: 1\n";

        Assert.ThrowsAny<XunitException>(() => ManifestAssertions.ParseDocuments(yaml));
        ManifestAssertions.ParseDocuments(yaml.Replace("cpu: 1", "cpu: \"1\""));
    }
}
