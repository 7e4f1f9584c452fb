using PacketCluster.Engine.Bootstrap;
using Xunit;

namespace PacketCluster.Engine.Tests.Bootstrap;

/// <summary>
/// Every cloud-config catalogue entry, rendered for its role, passes the real <c>cloud-init schema</c> (Debian package
/// <c>cloud-init</c>; 22.4.2 on bookworm). Its CLI: <c>cloud-init schema --config-file FILE</c> validates one file
/// and exits 0 ("Valid cloud-config: FILE") or 1 (schema errors, invalid YAML, a missing "#cloud-config" first
/// line, or a missing file; the reason goes to stderr). About 0.5 s per call, so the calls run in parallel.
/// </summary>
public class CloudInitSchemaTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task EveryCloudConfigEntry_PassesCloudInitSchema()
    {
        var cloudInit = RequireCloudInit();
        var catalogue = MachineConfigCatalogue.LoadShipped();
        var renderer = new UserdataRenderer(catalogue);
        using var dir = UserdataFixtures.Temp("cloud-init-schema");
        var entries = catalogue.Entries.Where(e => e.Format == MachineConfigCatalogue.CloudConfigFormat).ToList();
        Assert.NotEmpty(entries);

        // Every role an entry serves (a control-plane entry also renders the join of a further control plane). Entries
        // that render to the same bytes (e.g. one version on ubuntu_22_04 and ubuntu_24_04) are checked once.
        var distinct = entries
            .SelectMany(e => UserdataFixtures.For(e).Select(r => (Entry: $"{e} ({r.Role})", Userdata: renderer.Render(r))))
            .GroupBy(e => e.Userdata, e => e.Entry)
            .Select((g, i) => (Userdata: g.Key, Entries: string.Join(", ", g), File: dir.File($"userdata-{i}.yaml")))
            .ToList();
        Assert.Contains(distinct, d => d.Entries.Contains(nameof(MachineRole.JoiningControlPlane), StringComparison.Ordinal));
        foreach (var d in distinct)
        {
            await File.WriteAllTextAsync(d.File, d.Userdata);
        }

        var results = await RunAll(cloudInit, distinct.Select(d => d.File));

        var failures = distinct.Zip(results).Where(r => r.Second.ExitCode != 0).Select(r => $"{r.First.Entries}: {r.Second.Output}").ToList();
        Assert.True(failures.Count == 0, "cloud-init schema rejected:\n" + string.Join("\n", failures));
        Assert.All(results, r => Assert.Contains("Valid cloud-config", r.StandardOutput));
    }

    [Fact]
    public async Task CloudInitSchema_RejectsABrokenCloudConfig()
    {
        var cloudInit = RequireCloudInit();
        using var dir = UserdataFixtures.Temp("cloud-init-schema-negative");
        var renderer = new UserdataRenderer(MachineConfigCatalogue.LoadShipped());
        var good = renderer.Render(UserdataFixtures.Worker("ubuntu_22_04", "1.34.0"));
        // Unquoted, the mode becomes an integer, which the write_files schema rejects.
        var broken = dir.File("broken.yaml");
        await File.WriteAllTextAsync(broken, good.Replace("permissions: '0600'", "permissions: 0600", StringComparison.Ordinal));

        var result = (await RunAll(cloudInit, [broken]))[0];

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("permissions", result.Output);
    }

    private static string RequireCloudInit() =>
        ExternalCommand.FindOnPath("cloud-init")
        ?? throw new InvalidOperationException("cloud-init is not on PATH: install the Debian package 'cloud-init' (apt-get install -y cloud-init); userdata tests need the real schema check.");

    private static async Task<CommandResult[]> RunAll(string cloudInit, IEnumerable<string> files)
    {
        using var slots = new SemaphoreSlim(Math.Max(2, Environment.ProcessorCount));
        return await Task.WhenAll(files.Select(async file =>
        {
            await slots.WaitAsync();
            try
            {
                return await ExternalCommand.RunAsync(cloudInit, ["schema", "--config-file", file], Timeout);
            }
            finally
            {
                slots.Release();
            }
        }));
    }
}
