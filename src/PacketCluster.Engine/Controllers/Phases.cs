namespace PacketCluster.Engine.Controllers;

/// <summary>Phase values users and Get-* cmdlets read (PRODUCT.md §3). Only the scopes' SetPhaseFromFacts writes them.</summary>
public static class Phases
{
    public const string Pending = "Pending";
    public const string Provisioning = "Provisioning";
    public const string Provisioned = "Provisioned";
    public const string Running = "Running";
    public const string Deleting = "Deleting";
    public const string Failed = "Failed";
}
