using PacketCluster.Engine.Controllers;
using Xunit;
using Xunit.Abstractions;

namespace PacketCluster.Simulator.Tests.Controllers;

/// <summary>Polling cost grows with clusters, not machines (PRODUCT.md §6, §10).</summary>
public sealed class BatchedPollingIntegrationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private ControllerTestBed _bed = null!;

    public async Task InitializeAsync() => _bed = await ControllerTestBed.StartAsync();
    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task Ten_workers_are_polled_with_one_device_list_per_round()
    {
        await _bed.ClearRequestCountsAsync();
        await _bed.CreateClusterAsync(workers: 10);
        var rounds = await _bed.SettleAsync(() => _bed.AllMachinesAsync(Phases.Provisioned));

        var (total, byRoute) = await _bed.RequestCountsAsync();
        output.WriteLine($"11 machines provisioned in {rounds} rounds with {total} API requests: " + string.Join(", ", byRoute.Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.Equal(11, (await _bed.ClusterDevicesAsync()).Count);
        Assert.True(byRoute["GET /projects/{id}/devices"] <= rounds);
        Assert.False(byRoute.ContainsKey("GET /devices/{id}"));
        Assert.Equal(11, byRoute["POST /projects/{id}/devices"]);
    }
}
