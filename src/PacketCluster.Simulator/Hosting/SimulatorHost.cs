using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PacketCluster.Simulator.Api;
using PacketCluster.Simulator.Boot;
using PacketCluster.Simulator.Config;
using PacketCluster.Simulator.State;

namespace PacketCluster.Simulator.Hosting;

/// <summary>
/// A running simulator: Kestrel on 127.0.0.1 only, the API under both <c>/metal/v1/…</c> and <c>/…</c>
/// (packet-api.md §9), the admin API under <c>/_simulator</c>. Used in-process by tests and by Program.cs.
/// </summary>
public sealed class SimulatorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private readonly DeviceBooter _booter;

    private readonly AddressSlot _slot;

    private SimulatorHost(WebApplication app, World world, Uri root, string apiKey, DeviceBooter booter, AddressSlot slot)
    {
        _slot = slot;
        _app = app;
        _booter = booter;
        World = world;
        RootUrl = root;
        ApiKey = apiKey;
    }

    /// <summary>http://127.0.0.1:PORT/metal/v1/ (trailing slash: relative paths resolve under it).</summary>
    public Uri BaseUrl => new(RootUrl, "metal/v1/");
    public Uri RootUrl { get; }
    public Uri AdminUrl => new(RootUrl, "_simulator/");
    public string ApiKey { get; }
    public string ProjectId => World.Data.Project.Id;
    internal World World { get; }
    internal DeviceBooter Booter => _booter;

    public static async Task<SimulatorHost> StartAsync(SimulatorOptions options, CancellationToken cancellationToken = default)
    {
        var config = options.Config ?? (options.ConfigPath is not null ? SimulatorConfigLoader.LoadFile(options.ConfigPath) : new SimulatorConfig());
        if (options.StateDir is not null) config.StateDir = options.StateDir;
        if (options.Seed is not null) config.Seed = options.Seed;
        SimulatorConfigLoader.Validate(config, options.ConfigPath ?? "config");
        if (options.Port is < 0 or > 65535) throw new SimulatorConfigException($"port {options.Port} is out of range");

        var catalogue = config.Catalogue is null ? Catalogue.Catalogue.LoadEmbedded() : Catalogue.Catalogue.LoadFile(config.Catalogue);
        var seed = config.Seed ?? RandomNumberGenerator.GetInt32(int.MaxValue);
        var apiKey = string.IsNullOrEmpty(options.ApiKey) ? Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(20)) : options.ApiKey;
        // Its own address block, so a second simulator on this machine never hands out (and boots on) the same addresses.
        var slotFile = config.StateDir is null ? null : Path.Combine(config.StateDir, "address-slot");
        var slot = AddressSlot.Claim(config, slotFile is not null && File.Exists(slotFile) && int.TryParse(File.ReadAllText(slotFile).Trim(), out var kept) ? kept : null);
        World world;
        try
        {
            world = new World(config, catalogue, options.TimeProvider, seed, config.StateDir is null ? null : new StateFile(config.StateDir));
            world.Save();
            if (slotFile is not null && slot.Number >= 0) File.WriteAllText(slotFile, slot.Number.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch
        {
            slot.Dispose();
            throw;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(SimulatorHost).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = Environments.Production,
            Args = [],
        });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            // Bodies are read with their own, smaller caps (413); this keeps anything else from reading more.
            k.Limits.MaxRequestBodySize = SimulatorConfigLoader.MaxBytes + 1;
            k.Listen(IPAddress.Loopback, options.Port); // loopback only, never another interface
        });
        builder.Services.AddSingleton<IHostLifetime, QuietLifetime>(); // the console app handles signals itself
        builder.Logging.ClearProviders();
        if (options.LogToStandardError)
        {
            builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
            builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        }
        var app = builder.Build();

        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("PacketCluster.Simulator");
        var counter = new RequestCounter();
        var limiter = new RateLimiter(options.TimeProvider, config.RateLimit);
        var faults = new FaultInjector(seed, config.Faults.Requests);
        var pipeline = new ApiPipeline(apiKey, counter, limiter, faults, logger);
        var ctx = new ApiContext(world);

        app.Use(pipeline.Errors);
        app.UseRouting();
        app.Use(pipeline.Guard);
        MapApi(app.MapGroup(Renderer.Prefix), ctx);
        MapApi(app.MapGroup(""), ctx);
        var booter = new DeviceBooter(world, config.Boot.Enabled, options.KubeBinaries ?? KubeBinaries.Default(), options.KubeletLauncher, logger);
        AdminEndpoints.Map(app, ctx, faults, limiter, counter, booter);

        await app.StartAsync(cancellationToken);
        booter.Start();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var root = new Uri(address.Replace("[::]", "127.0.0.1").TrimEnd('/') + "/");
        logger.LogInformation("Packet API simulator listening on {Url} (project {Project}, seed {Seed}, state {State})",
            root, world.Data.Project.Id, seed, config.StateDir ?? "memory only");
        if (booter.Enabled && booter.Binaries.Missing() is { Count: > 0 } missing)
            logger.LogWarning("Devices boot from their userdata, but a kubeadm init cannot start a control plane: missing {Missing}; {Hint}",
                string.Join(", ", missing), KubeBinaries.BuildHint);
        return new SimulatorHost(app, world, root, apiKey, booter, slot);
    }

    private static void MapApi(IEndpointRouteBuilder api, ApiContext ctx)
    {
        ProjectEndpoints.Map(api, ctx);
        DeviceEndpoints.Map(api, ctx);
        IpEndpoints.Map(api, ctx);
        SshKeyEndpoints.Map(api, ctx);
        CatalogueEndpoints.Map(api, ctx);
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        await _app.StopAsync(cancellationToken);
        // No process of a booted device outlives the simulator.
        await _booter.DisposeAsync();
        lock (World.Gate) World.Save();
    }

    public async ValueTask DisposeAsync()
    {
        try { await StopAsync(); } catch (ObjectDisposedException) { }
        await _app.DisposeAsync();
        _slot.Dispose();
    }

    private sealed class QuietLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
