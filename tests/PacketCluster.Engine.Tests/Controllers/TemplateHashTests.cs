using PacketCluster.Engine.Api;
using PacketCluster.Engine.Controllers;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Controllers;

public sealed class TemplateHashTests
{
    [Fact]
    public void IsShortAndMadeOfNameSafeCharacters() =>
        Assert.Matches("^[bcdfghjklmnpqrstvwxz2456789]{10}$", TemplateHash.Compute(ReplicaHarness.Template("workers")));

    [Fact]
    public void IgnoresLabelOrderAndItsOwnLabel()
    {
        var a = ReplicaHarness.Template("workers");
        a.Metadata!.Labels!["zone"] = "da";
        var b = ReplicaHarness.Template("workers");
        b.Metadata!.Labels = new() { ["zone"] = "da", [TemplateHash.Label] = "anything", ["pool"] = "workers" };
        Assert.Equal(TemplateHash.Compute(a), TemplateHash.Compute(b));
    }

    [Fact]
    public void SurvivesASerializationRoundTrip()
    {
        var template = ReplicaHarness.Template("workers");
        var copy = ResourceCodec.FromJson<MachineTemplateSpec>(ResourceCodec.ToJson(template));
        Assert.Equal(TemplateHash.Compute(template), TemplateHash.Compute(copy));
    }

    [Fact]
    public void ChangesWithTheVersion()
    {
        var next = ReplicaHarness.Template("workers");
        next.Spec!.Versions!.Kubelet = "1.31.0";
        Assert.NotEqual(TemplateHash.Compute(ReplicaHarness.Template("workers")), TemplateHash.Compute(next));
    }
}
