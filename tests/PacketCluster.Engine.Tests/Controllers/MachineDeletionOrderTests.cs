using PacketCluster.Engine.Controllers;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Controllers;

public sealed class MachineDeletionOrderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static Machine M(string name, int minute, string? phase, bool deleting = false, bool marked = false) => new()
    {
        Metadata = new ObjectMeta
        {
            Name = name,
            CreationTimestamp = T0.AddMinutes(minute),
            DeletionTimestamp = deleting ? T0 : null,
            Annotations = marked ? new() { [MachineDeletionOrder.DeleteMachineAnnotation] = "" } : null,
        },
        Status = new MachineStatus { Phase = phase },
    };

    private static string[] Order(string? policy, params Machine[] machines) =>
        MachineDeletionOrder.Prioritize(machines, policy, new Random(7)).Select(m => m.Name).ToArray();

    [Theory]
    [InlineData(MachineDeletionOrder.Oldest, new[] { "a", "b", "c" })]
    [InlineData(MachineDeletionOrder.Newest, new[] { "c", "b", "a" })]
    public void HealthyMachinesFollowThePolicy(string policy, string[] expected) =>
        Assert.Equal(expected, Order(policy, M("b", 2, Phases.Running), M("c", 3, Phases.Running), M("a", 1, Phases.Provisioned)));

    [Fact]
    public void LostMachinesThenUnprovisionedOnesGoFirstWhateverThePolicy()
    {
        var order = Order(MachineDeletionOrder.Newest,
            M("running-new", 9, Phases.Running),
            M("pending", 1, Phases.Pending),
            M("failed", 2, Phases.Failed),
            M("marked", 3, Phases.Running, marked: true),
            M("deleting", 4, Phases.Running, deleting: true),
            M("provisioning", 5, Phases.Provisioning),
            M("running-old", 0, Phases.Running));

        Assert.Equal(new[] { "deleting", "failed", "marked" }, order[..3].Order());
        Assert.Equal(new[] { "pending", "provisioning" }, order[3..5].Order());
        Assert.Equal(new[] { "running-new", "running-old" }, order[5..]);
    }

    [Fact]
    public void RandomIsAPermutationThatStillHonoursTheTiers()
    {
        var machines = Enumerable.Range(0, 8).Select(i => M($"m{i}", i, Phases.Running)).Append(M("failed", 0, Phases.Failed)).ToArray();
        var order = Order(null, machines);
        Assert.Equal("failed", order[0]);
        Assert.Equal(machines.Select(m => m.Name).Order(), order.Order());
    }
}
