using PacketCluster.Engine.Operations;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.ControlPlane;

public sealed class ControlPlaneOperationsTests
{
    private static Machine ControlPlane(string name, int minute, string plan = "c3.small.x86", params string[] addresses) => new()
    {
        Metadata = new ObjectMeta { Name = name, CreationTimestamp = new DateTimeOffset(2026, 12, 6, 1, minute, 0, TimeSpan.Zero) },
        Spec = new MachineSpec
        {
            ProviderSpec = new MachineProviderSpec { Value = new PacketMachineProviderSpec { MachineType = plan, OS = "ubuntu_22_04", Metro = "sv" } },
            Versions = new MachineVersionInfo { ControlPlane = "1.20.2", Kubelet = "1.20.2" },
            ProviderID = "packet://" + name,
        },
        Status = new MachineStatus { ProviderStatus = new PacketMachineProviderStatus { IpAddresses = [.. addresses] } },
    };

    [Fact]
    public void TheWantedSpec_IsTheFirstsWithTheChanges_AndNoDevice()
    {
        var first = ControlPlane("ha-control-plane-0", 1);
        var wanted = ControlPlaneOperations.Wanted(first.Spec, new ControlPlaneChange(null, "m3.small.x86", null, "1.21.0"));
        Assert.Null(wanted.ProviderID);
        Assert.Equal("m3.small.x86", wanted.ProviderSpec!.Value!.MachineType);
        Assert.Equal("ubuntu_22_04", wanted.ProviderSpec.Value.OS);
        Assert.Equal(("1.21.0", "1.21.0"), (wanted.Versions!.ControlPlane, wanted.Versions.Kubelet));
        Assert.Equal("c3.small.x86", first.Spec.ProviderSpec!.Value!.MachineType); // a copy: the first is unchanged
        Assert.False(ControlPlaneOperations.Matches(first.Spec, wanted));
        Assert.True(ControlPlaneOperations.Matches(ControlPlane("x", 2, "M3.SMALL.X86").Spec, ControlPlaneOperations.Wanted(first.Spec, new ControlPlaneChange(null, "m3.small.x86", null, null))));
    }

    [Fact]
    public void RemovalOrder_LeavesTheElasticIpHolderLast_ThenTakesTheNewestFirst()
    {
        var holder = ControlPlane("ha-control-plane-0", 1, addresses: ["127.50.0.3", "127.60.0.1"]);
        var second = ControlPlane("ha-control-plane-1", 2, addresses: ["127.50.0.5"]);
        var third = ControlPlane("ha-control-plane-2", 3, addresses: ["127.50.0.7"]);
        Assert.Equal(["ha-control-plane-2", "ha-control-plane-1", "ha-control-plane-0"],
            ControlPlaneOperations.OrderForRemoval([holder, second, third], "127.60.0.1").Select(m => m.Name));
        var newHolder = ControlPlane("ha-control-plane-3", 4, addresses: ["127.50.0.9", "127.60.0.1"]);
        Assert.Equal(["ha-control-plane-2", "ha-control-plane-1", "ha-control-plane-3"],
            ControlPlaneOperations.OrderForRemoval([newHolder, second, third], "127.60.0.1").Select(m => m.Name));
    }
}
