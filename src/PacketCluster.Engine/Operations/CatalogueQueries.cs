using PacketCluster.Engine.Metal;
using Public = PacketCluster.Models.Metal;

namespace PacketCluster.Engine.Operations;

/// <summary>The Get-Packet* reads: API records turned into the public model types.</summary>
public static class CatalogueQueries
{
    public static async Task<IReadOnlyList<Public.PacketProject>> ProjectsAsync(PacketSession session, IEngineLog log, CancellationToken ct)
    {
        using var client = session.CreateClient(log);
        var projects = session.Options.ProjectId is { } id
            ? new[] { await client.GetProjectAsync(id, ct).ConfigureAwait(false) }
            : await client.ListProjectsAsync(ct).ConfigureAwait(false);
        return projects.Select(p => new Public.PacketProject { Id = p.Id ?? string.Empty, Name = p.Name ?? string.Empty, CreatedAt = p.CreatedAt }).ToList();
    }

    public static async Task<IReadOnlyList<Public.PacketMetro>> MetrosAsync(PacketSession session, IEngineLog log, CancellationToken ct) =>
        (await session.MetrosAsync(log, ct).ConfigureAwait(false))
            .Select(m => new Public.PacketMetro { Id = m.Id ?? string.Empty, Code = m.Code ?? string.Empty, Name = m.Name ?? string.Empty, Country = m.Country })
            .OrderBy(m => m.Code, StringComparer.Ordinal).ToList();

    /// <summary>Facilities, optionally only those of <paramref name="metro"/>.</summary>
    /// <exception cref="PacketClusterException">UnknownLocation: the metro does not exist (with the nearest codes).</exception>
    public static async Task<IReadOnlyList<Public.PacketFacility>> FacilitiesAsync(PacketSession session, string? metro, IEngineLog log, CancellationToken ct)
    {
        await RequireKnownLocationAsync(session, metro, null, log, ct).ConfigureAwait(false);
        return (await FacilitiesAsync(session, log, ct).ConfigureAwait(false))
            .Where(f => metro is null || string.Equals(f.Metro, metro, StringComparison.OrdinalIgnoreCase)).ToList();
    }

    /// <summary>
    /// A location filter that matches nothing because the code does not exist is an error, not an empty list: the user
    /// mistyped it. The message names the nearest codes (by edit distance) and where to see them all.
    /// </summary>
    public static async Task RequireKnownLocationAsync(PacketSession session, string? metro, string? facility, IEngineLog log, CancellationToken ct)
    {
        if (metro is not null)
        {
            var codes = (await session.MetrosAsync(log, ct).ConfigureAwait(false)).Select(m => m.Code).OfType<string>().ToList();
            if (!codes.Contains(metro, StringComparer.OrdinalIgnoreCase)) throw UnknownLocation("metro", metro, codes, "Get-PacketMetro");
        }
        if (facility is not null)
        {
            var codes = (await session.FacilitiesAsync(log, ct).ConfigureAwait(false)).Select(f => f.Code).OfType<string>().ToList();
            if (!codes.Contains(facility, StringComparer.OrdinalIgnoreCase)) throw UnknownLocation("facility", facility, codes, "Get-PacketFacility");
        }
    }

    private static PacketClusterException UnknownLocation(string kind, string code, IReadOnlyCollection<string> known, string lister) =>
        new("UnknownLocation", ErrorKind.InvalidArgument,
            $"There is no {kind} '{code}'. Nearest: {string.Join(", ", NearestCodes.To(code, known, 3))}. {lister} lists all {known.Count}.",
            $"Use one of the nearest codes, or run {lister} to list them all.", code);

    public static async Task<IReadOnlyList<Public.PacketFacility>> FacilitiesAsync(PacketSession session, IEngineLog log, CancellationToken ct) =>
        (await session.FacilitiesAsync(log, ct).ConfigureAwait(false))
            .Select(f => new Public.PacketFacility
            {
                Id = f.Id ?? string.Empty, Code = f.Code ?? string.Empty, Name = f.Name ?? string.Empty,
                Metro = f.Metro?.Code, Features = f.Features.ToArray(),
            })
            .OrderBy(f => f.Code, StringComparer.Ordinal).ToList();

    /// <summary>Plans, optionally only those deployable in a metro or facility, priced for that location.</summary>
    /// <exception cref="PacketClusterException">UnknownLocation: the metro or facility does not exist (with the nearest codes).</exception>
    public static async Task<IReadOnlyList<Public.PacketPlan>> PlansAsync(PacketSession session, string? metro, string? facility, IEngineLog log, CancellationToken ct)
    {
        await RequireKnownLocationAsync(session, metro, facility, log, ct).ConfigureAwait(false);
        var plans = await session.PlansAsync(log, ct).ConfigureAwait(false);
        var location = metro ?? facility;
        return plans
            .Where(p => metro is null || p.IsAvailableInMetro(metro))
            .Where(p => facility is null || p.IsAvailableInFacility(facility))
            .Select(p => new Public.PacketPlan
            {
                Id = p.Id ?? string.Empty, Slug = p.Slug ?? string.Empty, Name = p.Name ?? string.Empty,
                Class = p.Class, Line = p.Line, Description = p.Description,
                PricePerHour = (decimal?)(location is null ? p.Pricing?.Hour : p.HourlyPriceIn(location)),
                Metros = p.AvailableInMetros.Select(l => l.Code).OfType<string>().ToArray(),
                Facilities = p.AvailableIn.Select(l => l.Code).OfType<string>().ToArray(),
                DeploymentTypes = p.DeploymentTypes.ToArray(),
            })
            .OrderBy(p => p.PricePerHour ?? decimal.MaxValue).ThenBy(p => p.Slug, StringComparer.Ordinal).ToList();
    }

    public static async Task<IReadOnlyList<Public.PacketOperatingSystem>> OperatingSystemsAsync(PacketSession session, IEngineLog log, CancellationToken ct) =>
        (await session.OperatingSystemsAsync(log, ct).ConfigureAwait(false))
            .Select(o => new Public.PacketOperatingSystem
            {
                Id = o.Id ?? string.Empty, Slug = o.Slug ?? string.Empty, Name = o.Name ?? string.Empty,
                Distro = o.Distro, Version = o.Version, ProvisionableOn = o.ProvisionableOn.ToArray(),
            })
            .OrderBy(o => o.Slug, StringComparer.Ordinal).ToList();

    /// <summary>The project's devices; with a cluster name, only those tagged for it (one filtered list, not one GET per device).</summary>
    public static async Task<IReadOnlyList<Public.PacketDevice>> DevicesAsync(PacketSession session, string? clusterName, IEngineLog log, CancellationToken ct)
    {
        using var client = session.CreateClient(log);
        var filter = clusterName is null ? null : new DeviceListFilter { Tag = DeviceTags.ClusterId(clusterName) };
        var devices = await client.ListDevicesAsync(session.RequireProjectId(), filter, ct).ConfigureAwait(false);
        return devices.Select(ToModel).ToList();
    }

    public static Public.PacketDevice ToModel(Device d) => new()
    {
        Id = d.Id ?? string.Empty,
        ShortId = d.ShortId,
        Hostname = d.Hostname ?? string.Empty,
        State = d.State ?? string.Empty,
        Plan = d.Plan?.Slug,
        OperatingSystem = d.OperatingSystem?.Slug,
        Metro = d.Metro?.Code ?? d.Facility?.Metro?.Code,
        Facility = d.Facility?.Code,
        PublicIPv4 = d.ManagementAddress(4, isPublic: true),
        PrivateIPv4 = d.ManagementAddress(4, isPublic: false),
        PublicIPv6 = d.ManagementAddress(6, isPublic: true),
        IpAddresses = d.IpAddresses.Select(a => a.Address).OfType<string>().ToArray(),
        Tags = d.Tags.ToArray(),
        ClusterName = DeviceTags.ClusterOf(d.Tags),
        ClusterUid = DeviceTags.ClusterUidOf(d.Tags),
        Role = DeviceTags.RoleOf(d.Tags),
        ProvisioningPercentage = d.ProvisioningPercentage,
        BillingCycle = d.BillingCycle,
        CreatedAt = d.CreatedAt,
    };
}
