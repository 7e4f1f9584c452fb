using PacketCluster.Engine.Manifests;
using PacketCluster.Simulator.Boot.Kubelet;
using PacketCluster.Simulator.Boot.Pods;
using Xunit;

namespace PacketCluster.Simulator.Tests.Boot;

/// <summary>The pieces of the kubelet's pod runtime that need no API server (the whole of it runs in the Pester end-to-end test).</summary>
public sealed class PodRuntimeTests
{
    [Fact]
    public void ManagerImage_IsTheOneTheProviderComponentsName()
    {
        Assert.Equal(ProviderComponents.ManagerImageRepository, ContainerImages.ManagerRepository);
    }

    [Theory]
    [InlineData("ghcr.io/packetcluster/manager:0.1.0", "ghcr.io/packetcluster/manager")]
    [InlineData("ghcr.io/packetcluster/manager@sha256:0123", "ghcr.io/packetcluster/manager")]
    [InlineData("localhost:5000/packetcluster/manager:1", "localhost:5000/packetcluster/manager")]
    [InlineData("nginx", "nginx")]
    [InlineData("", "")]
    public void Repository_DropsTagAndDigest(string image, string repository) => Assert.Equal(repository, ContainerImages.Repository(image));

    [Fact]
    public void Images_OtherThanTheManagers_AreSimulated_AndTheManagerWithoutAnExecutableIsUnavailable()
    {
        Assert.IsType<ImageRun.Simulated>(ContainerImages.None.Resolve("nginx:1.19"));
        Assert.IsType<ImageRun.Simulated>(ContainerImages.None.Resolve("ghcr.io/packetcluster/manager-lookalike:1"));
        var missing = Assert.IsType<ImageRun.Unavailable>(ContainerImages.None.Resolve("ghcr.io/packetcluster/manager:0.1.0"));
        Assert.Equal("ErrImagePull", missing.Reason);
        Assert.Contains(ContainerImages.ManagerPathVariable, missing.Message);
        var wrong = Assert.IsType<ImageRun.Unavailable>(new ContainerImages("/nonexistent/PacketCluster.Manager").Resolve("ghcr.io/packetcluster/manager:0.1.0"));
        Assert.Contains("does not exist", wrong.Message);
        var self = Environment.ProcessPath!;
        var run = Assert.IsType<ImageRun.Process>(new ContainerImages(self).Resolve("ghcr.io/packetcluster/manager:0.1.0"));
        Assert.Equal(self, run.Executable);
        Assert.Equal("/app/PacketCluster.Manager", run.Entrypoint);
    }

    [Fact]
    public void Expand_ReplacesDefinedVariables_KeepsUnknownOnes_AndHonoursTheEscape()
    {
        var env = new Dictionary<string, string> { ["NS"] = "kube-system", ["NODE"] = "w-1" };
        Assert.Equal("--ns=kube-system --node=w-1", ContainerConfig.Expand("--ns=$(NS) --node=$(NODE)", env));
        Assert.Equal("$(MISSING)", ContainerConfig.Expand("$(MISSING)", env));
        Assert.Equal("$(NS)", ContainerConfig.Expand("$$(NS)", env));
    }

    [Fact]
    public void Capacity_ComesFromThePlanSpecs()
    {
        var c3 = new Dictionary<object, object>
        {
            ["cpus"] = new List<object> { new Dictionary<object, object> { ["count"] = "1", ["type"] = "Intel Xeon E-2278G 8-Core Processor @ 3.40GHz" } },
            ["memory"] = new Dictionary<object, object> { ["total"] = "32GB" },
        };
        var capacity = NodeCapacity.FromPlanSpecs(c3);
        Assert.Equal(8, capacity.Cpus);
        Assert.Equal("33554432Ki", capacity.MemoryQuantity);
        var dual = new Dictionary<object, object>
        {
            ["cpus"] = new List<object> { new Dictionary<object, object> { ["count"] = "2", ["type"] = "Intel Xeon Gold 6314U 32-Core Processor" } },
            ["memory"] = new Dictionary<object, object> { ["total"] = "512GB" },
        };
        Assert.Equal(64, NodeCapacity.FromPlanSpecs(dual).Cpus);
        Assert.Equal(512L << 30, NodeCapacity.FromPlanSpecs(dual).MemoryBytes);
        Assert.Equal(NodeCapacity.Default, NodeCapacity.FromPlanSpecs(null));
    }

    [Fact]
    public void PodAddresses_ComeFromTheNodeCidr_AreUnique_AndReused()
    {
        var addresses = new PodAddresses("127.55.0.3");
        Assert.Equal("127.55.0.3", addresses.Allocate("before-cidr"));
        addresses.Release("before-cidr");
        addresses.UseCidr("172.26.1.0/24");
        var a = addresses.Allocate("a");
        var b = addresses.Allocate("b");
        Assert.Equal("172.26.1.2", a);
        Assert.Equal("172.26.1.3", b);
        Assert.Equal(a, addresses.Allocate("a"));
        var all = Enumerable.Range(0, 200).Select(i => addresses.Allocate($"p{i}")).ToList();
        Assert.Equal(all.Count, all.Concat([a, b]).Distinct().Count() - 2);
        Assert.All(all, ip => Assert.StartsWith("172.26.1.", ip));
        Assert.DoesNotContain("172.26.1.0", all);
        Assert.DoesNotContain("172.26.1.1", all);
        Assert.DoesNotContain("172.26.1.255", all);
    }
}
