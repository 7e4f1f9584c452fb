using PacketCluster.Engine.Metal;

namespace PacketCluster.Engine.Controllers;

/// <summary>
/// Forecasts when a cluster's provisioning devices become active from how fast their <c>provisioning_percentage</c>
/// rises between lists, so the <see cref="DeviceInventory"/> can skip lists that could not show anything new
/// (PRODUCT.md §10: at most 6 API requests per machine). Only used when every other device is settled (active): a
/// queued, deprovisioning or otherwise changing device keeps the normal pace. Not thread-safe; the inventory locks.
/// </summary>
internal sealed class ProvisioningForecast
{
    private readonly Dictionary<string, (DateTimeOffset At, double Percent)> _firstSeen = new(StringComparer.Ordinal);

    /// <summary>
    /// Takes in one list; returns the earliest moment one of its provisioning devices is expected to be active, or
    /// null when the list holds no provisioning device or something whose progress cannot be forecast.
    /// </summary>
    public DateTimeOffset? Observe(IReadOnlyList<Device> devices, DateTimeOffset now)
    {
        var provisioning = devices.Where(d => d is { State: "provisioning", ProvisioningPercentage: not null, Id: not null }).ToList();
        foreach (var gone in _firstSeen.Keys.Except(provisioning.Select(d => d.Id!), StringComparer.Ordinal).ToList()) _firstSeen.Remove(gone);

        var forecastable = provisioning.Count > 0 && devices.All(d => d.State is "active" or "provisioning");
        DateTimeOffset? earliest = null;
        foreach (var device in provisioning)
        {
            var percent = device.ProvisioningPercentage!.Value;
            if (!_firstSeen.TryGetValue(device.Id!, out var first))
            {
                _firstSeen[device.Id!] = (now, percent);
                forecastable = false;
                continue;
            }
            var gained = percent - first.Percent;
            var elapsed = now - first.At;
            if (gained <= 0 || elapsed <= TimeSpan.Zero)
            {
                forecastable = false;
                continue;
            }
            var eta = now + elapsed * ((100 - percent) / gained);
            if (earliest is null || eta < earliest) earliest = eta;
        }
        return forecastable ? earliest : null;
    }
}
