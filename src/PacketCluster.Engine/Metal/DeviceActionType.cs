namespace PacketCluster.Engine.Metal;

/// <summary>The <c>type</c> of <c>POST /devices/{id}/actions</c>.</summary>
public enum DeviceActionType
{
    PowerOn,
    PowerOff,
    Reboot,
    Rescue,
    Reinstall,
}
