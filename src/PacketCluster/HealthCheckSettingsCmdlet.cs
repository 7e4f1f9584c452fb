using System.Management.Automation;
using PacketCluster.Engine.Operations;

namespace PacketCluster;

/// <summary>The settings New- and Set-PacketMachineHealthCheck both take; left out, a setting keeps its default (New) or value (Set).</summary>
public abstract class HealthCheckSettingsCmdlet : StateCmdlet
{
    /// <summary>Node conditions as Type=Status (Ready=Unknown, Ready=False, MemoryPressure=True) that make a machine unhealthy once held for -UnhealthyTimeout (default Ready=Unknown, Ready=False); Set replaces the list.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? UnhealthyCondition { get; set; }

    /// <summary>How long a Node may have an unhealthy condition (default 5m; 90s, 5m, 1h30m or 00:05:00).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? UnhealthyTimeout { get; set; }

    /// <summary>How long a machine whose device is active may go without a Node (default 10m).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NodeStartupTimeout { get; set; }

    /// <summary>The most machines that may be unhealthy for remediation to run: a count (2) or a percentage rounded down (default 40%).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? MaxUnhealthy { get; set; }

    private protected HealthCheckSettings Settings => new()
    {
        UnhealthyConditions = UnhealthyCondition, UnhealthyTimeout = UnhealthyTimeout, NodeStartupTimeout = NodeStartupTimeout, MaxUnhealthy = MaxUnhealthy,
    };
}
