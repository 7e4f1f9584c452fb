namespace PacketCluster;

/// <summary>
/// Where Get-Help -Online goes: one markdown page per cmdlet in the repository's docs/cmdlets, generated from the same
/// doc comments as the built-in help (build.ps1 Help writes them to out/docs, build.ps1 Docs copies them into docs/).
/// </summary>
internal static class HelpLinks
{
    public const string Base = "https://github.com/packetcluster/packetcluster/blob/main/docs/cmdlets/";
}
