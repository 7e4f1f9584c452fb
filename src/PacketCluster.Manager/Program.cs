using System.Globalization;
using System.Runtime.InteropServices;
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

var sandbox = ContainerSandbox.FromEnvironment(Environment.GetEnvironmentVariable);
var kubeConfig = settings.Kubeconfig is not null ? KubernetesClientConfiguration.BuildConfigFromConfigFile(sandbox.Path(settings.Kubeconfig))
    : sandbox.IsSimulated && sandbox.IsInCluster(Environment.GetEnvironmentVariable) ? sandbox.InClusterConfig(Environment.GetEnvironmentVariable)
    : KubernetesClientConfiguration.IsInCluster() ? KubernetesClientConfiguration.InClusterConfig()
    : KubernetesClientConfiguration.BuildDefaultConfig();
// Survives the loss of the control plane holding the endpoint when running outside the cluster (kubeconfig mode).
using var store = new KubernetesStore(new Kubernetes(kubeConfig, PacketCluster.Engine.ControlPlane.ManagementConnection.Handlers()), ownsClient: true);
var log = new ConsoleEngineLog(debug: Environment.GetEnvironmentVariable("PACKETCLUSTER_DEBUG") == "1");
var manager = new ClusterManager(store, session, log, new ManagerOptions
{
    Namespace = settings.Namespace,
    LeaderElection = settings.LeaderElect,
    LeaseNamespace = settings.LeaseNamespace ?? new ManagerOptions().LeaseNamespace,
    Identity = settings.Identity ?? Environment.GetEnvironmentVariable("HOSTNAME") ?? new ManagerOptions().Identity,
    MachineConfigs = settings.MachineConfigs is null ? null : MachineConfigCatalogue.Parse(File.ReadAllText(sandbox.Path(settings.MachineConfigs)), settings.MachineConfigs),
});

var started = DateTimeOffset.UtcNow;
// The probes answer the kubelet on the pod address and say nothing but "ok"; /metrics (cluster names, counts, memory)
// is served on 127.0.0.1 unless --metrics-addr says otherwise, as Cluster API managers did behind kube-rbac-proxy.
using var probes = new ProbeServer(
[
    (sandbox.Listen(settings.HealthAddress), new Dictionary<string, Func<(string, string)>>
    {
        ["/healthz"] = () => ("ok", "text/plain"),
        // Ready once running; a follower is ready too (it stands by), which is what a Deployment with leader election wants.
        ["/readyz"] = () => (manager.IsLeading ? "ok: leading" : "ok: standing by", "text/plain"),
    }),
    (sandbox.Listen(settings.MetricsAddress), new Dictionary<string, Func<(string, string)>>
    {
        ["/metrics"] = () => (ManagerMetrics.Render(manager, started), "text/plain; version=0.0.4"),
    }),
]);
try
{
    probes.Start();
}
catch (System.Net.HttpListenerException e)
{
    Console.Error.WriteLine($"packetcluster-manager: cannot serve /healthz, /readyz and /metrics on {string.Join(", ", probes.Urls)}: {e.Message}. Pick free ports with --health-addr= and --metrics-addr=.");
    return 1;
}
log.Verbose($"packetcluster-manager: serving /healthz and /readyz on {sandbox.Listen(settings.HealthAddress)}, /metrics on {sandbox.Listen(settings.MetricsAddress)}");

// SIGTERM (the kubelet stopping the pod) and Ctrl+C stop the loop gracefully.
using var stopping = new CancellationTokenSource();
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stopping.Cancel();
}

log.Write(new EngineMessage(EngineMessageLevel.Information,
    $"packetcluster-manager {typeof(ClusterManager).Assembly.GetName().Version}: reconciling namespace {settings.Namespace}" +
    (settings.LeaderElect ? $", leader election on {settings.LeaseNamespace ?? new ManagerOptions().LeaseNamespace}/packetcluster-manager" : ", no leader election")));
var serving = probes.ServeAsync(stopping.Token);
await manager.RunAsync(stopping.Token);
stopping.Cancel();
await serving;
log.Write(new EngineMessage(EngineMessageLevel.Information, "packetcluster-manager: stopped."));
return 0;
