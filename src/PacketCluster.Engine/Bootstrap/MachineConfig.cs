using PacketCluster.Models;

namespace PacketCluster.Engine.Bootstrap;

/// <summary>One matched machine-config parameter set with the userdata template of its item.</summary>
public sealed class MachineConfig
{
    internal MachineConfig(MachineConfigInfo info, string userdataTemplate, string sourceName, int line)
    {
        Info = info;
        UserdataTemplate = userdataTemplate;
        SourceName = sourceName;
        Line = line;
    }

    public MachineConfigInfo Info { get; }

    /// <summary>The item's userdata as written in the catalogue: a <c>#cloud-config</c> template or a shell script.</summary>
    public string UserdataTemplate { get; }

    public bool IsCloudConfig => Info.Format == MachineConfigCatalogue.CloudConfigFormat;

    /// <summary>Where the entry came from, for messages: the catalogue's source name and the line of its machineParams entry.</summary>
    public string SourceName { get; }

    public int Line { get; }

    public override string ToString() => Info.ToString();
}
