using System.Collections.Concurrent;
using System.Management.Automation.Runspaces;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;

namespace PacketCluster;

/// <summary>
/// The Packet API connection of each runspace. An explicit one (Connect-PacketApi) is kept until Disconnect-PacketApi.
/// Without one, the environment variables (PACKET_API_KEY or METAL_AUTH_TOKEN, PACKET_PROJECT_ID, PACKET_API_URL) make
/// an implicit connection that follows the environment: it is read again by every cmdlet, so fixing a wrong key in
/// the environment takes effect at once. Implicit sessions are shared per distinct values (their catalogue cache too).
/// </summary>
internal static class PacketSessions
{
    private static readonly ConcurrentDictionary<Guid, PacketSession> ByRunspace = new();
    private static readonly ConcurrentDictionary<(string Endpoint, string Key, string? Project), PacketSession> Implicit = new();
    private const int MaxImplicitSessions = 16;

    private static Guid CurrentRunspace => Runspace.DefaultRunspace?.InstanceId ?? Guid.Empty;

    /// <summary>Makes <paramref name="session"/> this runspace's explicit connection (Connect-PacketApi).</summary>
    public static void Set(PacketSession session) => ByRunspace[CurrentRunspace] = session;

    /// <summary>Drops this runspace's explicit connection; returns it, or null when there was none.</summary>
    public static PacketSession? RemoveExplicit() => ByRunspace.TryRemove(CurrentRunspace, out var session) ? session : null;

    /// <summary>The connected session, else one from the environment as it is now, else null.</summary>
    public static PacketSession? TryGet() => TryGet(out _);

    /// <summary>As <see cref="TryGet()"/>; <paramref name="isExplicit"/> says whether Connect-PacketApi made it.</summary>
    public static PacketSession? TryGet(out bool isExplicit)
    {
        isExplicit = ByRunspace.TryGetValue(CurrentRunspace, out var session);
        return isExplicit ? session : FromEnvironment();
    }

    private static PacketSession? FromEnvironment()
    {
        var key = Credentials.ApiKeyFromEnvironment();
        if (key is null) return null;
        var options = PacketApiOptions.FromEnvironment();
        options.Validate();
        var id = (options.Endpoint.AbsoluteUri, options.ApiKey, options.ProjectId);
        if (Implicit.TryGetValue(id, out var cached)) return cached;
        if (Implicit.Count >= MaxImplicitSessions) Implicit.Clear();
        return Implicit.GetOrAdd(id, _ => new PacketSession(options, Credentials.ApiKeySourceFromEnvironment()));
    }
}
