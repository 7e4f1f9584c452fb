using System.Collections.Concurrent;
using System.Management.Automation.Runspaces;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;

namespace PacketCluster;

/// <summary>
/// The Packet API connection of each runspace (Connect-PacketApi). Without one, the environment variables the seed
/// used (PACKET_API_KEY or METAL_AUTH_TOKEN, PACKET_PROJECT_ID, PACKET_API_URL) make an implicit connection.
/// </summary>
internal static class PacketSessions
{
    private static readonly ConcurrentDictionary<Guid, PacketSession> ByRunspace = new();

    private static Guid CurrentRunspace => Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty;

    public static void Set(PacketSession session) => ByRunspace[CurrentRunspace] = session;

    /// <summary>The connected session, else one from the environment, else null.</summary>
    public static PacketSession? TryGet()
    {
        if (ByRunspace.TryGetValue(CurrentRunspace, out var session)) return session;
        var key = Credentials.ApiKeyFromEnvironment();
        if (key is null) return null;
        var options = PacketApiOptions.FromEnvironment();
        options.Validate();
        session = new PacketSession(options, Credentials.ApiKeySourceFromEnvironment());
        return ByRunspace.GetOrAdd(CurrentRunspace, session);
    }
}
