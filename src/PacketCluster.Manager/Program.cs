using System.Globalization;
using k8s;
using PacketCluster.Engine;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Metal;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;
using PacketCluster.Manager;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
ManagerSettings settings;
try
{
    settings = ManagerSettings.Parse(args, Environment.GetEnvironmentVariable);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"packetcluster-manager: {e.Message}");
    return 2;
}

var apiKey = Environment.GetEnvironmentVariable("PACKET_API_KEY");
var projectId = Environment.GetEnvironmentVariable("PACKET_PROJECT_ID");
if (string.IsNullOrEmpty(apiKey) || string.IsNullOrEmpty(projectId))
{
    Console.Error.WriteLine("packetcluster-manager: PACKET_API_KEY and PACKET_PROJECT_ID must be set (the provider components take them from the cluster-api-provider-packet-credentials Secret).");
    return 2;
}
var endpoint = Environment.GetEnvironmentVariable("PACKET_API_URL") is { Length: > 0 } url ? new Uri(url) : PacketApiOptions.DefaultEndpoint;
var session = new PacketSession(new PacketApiOptions { ApiKey = apiKey, ProjectId = projectId, Endpoint = endpoint }, "environment");

var kubeConfig = settings.Kubeconfig is not null ? KubernetesClientConfiguration.BuildConfigFromConfigFile(settings.Kubeconfig)
    : KubernetesClientConfiguration.IsInCluster() ? KubernetesClientConfiguration.InClusterConfig()
    : KubernetesClientConfiguration.BuildDefaultConfig();
using var store = new KubernetesStore(new Kubernetes(kubeConfig), ownsClient: true);
var log = new ConsoleEngineLog(debug: Environment.GetEnvironmentVariable("PACKETCLUSTER_DEBUG") == "1");
var manager = new ClusterManager(store, session, log, new ManagerOptions
{
    Namespace = settings.Namespace,
    LeaderElection = settings.LeaderElect,
    LeaseNamespace = settings.LeaseNamespace ?? new ManagerOptions().LeaseNamespace,
    Identity = settings.Identity ?? Environment.GetEnvironmentVariable("HOSTNAME") ?? new ManagerOptions().Identity,
    MachineConfigs = settings.MachineConfigs is null ? null : MachineConfigCatalogue.Parse(File.ReadAllText(settings.MachineConfigs), settings.MachineConfigs),
});

var builder = WebApplication.CreateSlimBuilder();
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    k.Listen(settings.HealthAddress);
    if (!settings.MetricsAddress.Equals(settings.HealthAddress)) k.Listen(settings.MetricsAddress);
});
var app = builder.Build();
var started = DateTimeOffset.UtcNow;
app.MapGet("/healthz", () => Results.Text("ok"));
// Ready once running; a follower is ready too (it stands by), which is what a Deployment with leader election wants.
app.MapGet("/readyz", () => Results.Text(manager.IsLeading ? "ok: leading" : "ok: standing by"));
app.MapGet("/metrics", () => Results.Text(ManagerMetrics.Render(manager, started), "text/plain; version=0.0.4"));

await app.StartAsync();
foreach (var address in app.Urls) log.Verbose($"packetcluster-manager: serving /healthz, /readyz and /metrics on {address}");
log.Write(new EngineMessage(EngineMessageLevel.Information,
    $"packetcluster-manager {typeof(ClusterManager).Assembly.GetName().Version}: reconciling namespace {settings.Namespace}" +
    (settings.LeaderElect ? $", leader election on {settings.LeaseNamespace ?? new ManagerOptions().LeaseNamespace}/packetcluster-manager" : ", no leader election")));
var stopping = app.Lifetime.ApplicationStopping;
try
{
    await manager.RunAsync(stopping);
}
finally
{
    await app.StopAsync(TimeSpan.FromSeconds(5));
}
log.Write(new EngineMessage(EngineMessageLevel.Information, "packetcluster-manager: stopped."));
return 0;
