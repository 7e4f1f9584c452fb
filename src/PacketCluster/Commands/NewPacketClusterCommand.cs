using System.Management.Automation;
using System.Text;
using PacketCluster.Completion;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;
using PacketCluster.Models;
using PacketCluster.Models.ClusterApi;

namespace PacketCluster.Commands;

/// <summary>Creates a Kubernetes cluster on Packet: PKI, a control-plane endpoint (elastic IP) and every machine's device.</summary>
/// <remarks>
/// New-PacketCluster takes a definition from the pipeline (New-PacketClusterConfig / Import-PacketClusterConfig), from
/// the four seed-style files, or from quick parameters. It checks everything against the live catalogue first (plans,
/// operating systems, locations, capacity, machine configs) so bad input fails before anything is created, records the
/// objects in the embedded state folder (-StatePath, PACKETCLUSTER_HOME or ~/.packetcluster), generates the cluster's
/// PKI, reserves the endpoint's elastic IP and creates the control plane and the workers at once (each worker's
/// bootstrap token is rendered into the first control plane's kubeadm configuration). Then, showing progress by phase, it
/// waits until every device is provisioned, the API server answers at the endpoint, the add-ons are applied and every
/// machine is a Ready node; pivots the cluster's management into the cluster itself (not with -NoPivot; see
/// Invoke-PacketPivot) and waits (at most 5 minutes) until a pod of the cluster's own manager Deployment holds the
/// packetcluster-manager Lease, so the cluster manages itself with no PowerShell session running — the output's
/// ManagedBy names that pod, or a warning says why its manager pods cannot run; then it merges its admin kubeconfig into $env:KUBECONFIG or ~/.kube/config (-KubeconfigPath writes
/// a file instead, -NoKubeconfig skips it). -ProvisionOnly stops once the devices are provisioned; -NoWait once they
/// are requested. The workers get a MachineHealthCheck (&lt;name&gt;-workers) that replaces a worker whose Node stays
/// unhealthy; -NoHealthCheck leaves it out (see Get-PacketMachineHealthCheck).
///
/// Interrupted (Ctrl+C, a crash, a lost network), running the same command again resumes and adopts what exists: each
/// device is found by its machine-uid tag before anything is created, so no device is ever created twice. -WhatIf
/// prints the plan - every device with its hourly price, the IP reservation and the objects - and creates nothing.
/// </remarks>
/// <example>
/// <code>Start-PacketSimulator | Connect-PacketApi; New-PacketCluster -Name demo -Metro sv -WorkerCount 2 -KubernetesVersion 1.20.2 -OperatingSystem ubuntu_22_04</code>
/// <para>Creates a cluster of one control plane and two workers against the local simulator.</para>
/// </example>
/// <example>
/// <code>New-PacketClusterConfig -OutputDirectory ./prod -Metro da -ControlPlaneCount 1 -WorkerCount 3 | New-PacketCluster -WhatIf</code>
/// <para>Shows the devices, the elastic IP and the objects the definition would create, with the hourly price.</para>
/// </example>
/// <example>
/// <code>New-PacketCluster -Name edge -Metro da -WorkerCount 3 -BootstrapKubeconfig ~/.kube/kind-bootstrap -NoPivot</code>
/// <para>Keeps the cluster's objects in an existing (bootstrap) cluster instead of the local state folder, and leaves them there.</para>
/// </example>
/// <example>
/// <code>Import-PacketClusterConfig ./prod | New-PacketCluster -AsJob | Receive-Job -Wait</code>
/// <para>Creates the cluster in a background job.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "PacketCluster", HelpUri = HelpLinks.Base + "New-PacketCluster.md", SupportsShouldProcess = true, DefaultParameterSetName = QuickSet)]
[OutputType(typeof(Cluster))]
public sealed class NewPacketClusterCommand : ChangeCmdlet
{
    private const string QuickSet = "Quick";
    private const string InputObjectSet = "InputObject";
    private const string FilesSet = "Files";

    /// <summary>A cluster definition from New-PacketClusterConfig or Import-PacketClusterConfig.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    public PacketClusterConfig? InputObject { get; set; }

    /// <summary>The seed-style cluster.yaml.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FilesSet)]
    public string? ClusterFile { get; set; }

    /// <summary>The seed-style machines.yaml.</summary>
    [Parameter(Mandatory = true, ParameterSetName = FilesSet)]
    public string? MachinesFile { get; set; }

    /// <summary>The seed-style provider-components.yaml (its machine-config catalogue is used when present).</summary>
    [Parameter(ParameterSetName = FilesSet)]
    public string? ProviderComponentsFile { get; set; }

    /// <summary>The seed-style addons.yaml.</summary>
    [Parameter(ParameterSetName = FilesSet)]
    public string? AddonsFile { get; set; }

    /// <summary>Quick form: the cluster name, 1 to 40 lower-case letters, digits and '-', starting and ending with a letter or digit (default test1- plus five random characters).</summary>
    [Parameter(Position = 0, ParameterSetName = QuickSet)]
    public string? Name { get; set; }

    /// <summary>Quick form: metro for the cluster and its machines.</summary>
    [Parameter(ParameterSetName = QuickSet)]
    [ArgumentCompleter(typeof(MetroCompleter))]
    public string? Metro { get; set; }

    /// <summary>Quick form: facility for the cluster and its machines (default ewr1 when no metro is given).</summary>
    [Parameter(ParameterSetName = QuickSet)]
    [ArgumentCompleter(typeof(FacilityCompleter))]
    public string? Facility { get; set; }

    /// <summary>Quick form: number of control-plane machines (default 1).</summary>
    [Parameter(ParameterSetName = QuickSet)]
    [ValidateRange(1, 9)]
    public int ControlPlaneCount { get; set; } = 1;

    /// <summary>Quick form: number of workers (default 1).</summary>
    [Parameter(ParameterSetName = QuickSet)]
    [ValidateRange(0, 1000)]
    public int WorkerCount { get; set; } = 1;

    /// <summary>Quick form: plan slug (default c3.small.x86).</summary>
    [Parameter(ParameterSetName = QuickSet)]
    [ArgumentCompleter(typeof(PlanCompleter))]
    public string Plan { get; set; } = ClusterConfigRequest.DefaultPlan;

    /// <summary>Quick form: operating system slug with a machine-config entry (default ubuntu_24_04).</summary>
    [Parameter(ParameterSetName = QuickSet)]
    [ArgumentCompleter(typeof(ImageCompleter))]
    public string OperatingSystem { get; set; } = ClusterConfigRequest.DefaultOperatingSystem;

    /// <summary>Quick form: Kubernetes version without v (default: the newest the catalogue has for the OS).</summary>
    [Parameter(ParameterSetName = QuickSet)]
    [ValidateKubernetesVersion]
    [ArgumentCompleter(typeof(KubernetesVersionCompleter))]
    public string? KubernetesVersion { get; set; }

    /// <summary>Quick form: SSH public key the machines accept; without it a key pair is generated into the cluster's state folder.</summary>
    [Parameter(ParameterSetName = QuickSet)]
    public string? SshPublicKeyPath { get; set; }

    /// <summary>Stop once the API answers, the add-ons are applied and every machine is a Ready node: keep managing the cluster from this state folder.</summary>
    [Parameter]
    public SwitchParameter NoPivot { get; set; }

    /// <summary>Stop once every device is provisioned: no waiting for Kubernetes, no add-ons, no pivot, no kubeconfig.</summary>
    [Parameter]
    public SwitchParameter ProvisionOnly { get; set; }

    /// <summary>Write the admin kubeconfig to this file (0600) instead of merging it into $env:KUBECONFIG or ~/.kube/config.</summary>
    [Parameter]
    public string? KubeconfigPath { get; set; }

    /// <summary>
    /// Keep the cluster's objects in this existing cluster (the path of its kubeconfig: kind, minikube, a management
    /// cluster) instead of the embedded state folder. The CRDs and provider components are applied there; this command
    /// reconciles while holding the manager's Lease, or waits for a manager that already leads there. Then it pivots
    /// into the new cluster as usual (-NoPivot leaves it managed from there).
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? BootstrapKubeconfig { get; set; }

    /// <summary>Leave every kubeconfig file alone (Get-PacketKubeconfig gives one later).</summary>
    [Parameter]
    public SwitchParameter NoKubeconfig { get; set; }

    /// <summary>
    /// Do not record the default MachineHealthCheck (&lt;name&gt;-workers: a worker whose Node is Ready Unknown or False for
    /// 5 minutes, or has no Node 10 minutes after its device became active, is replaced, unless more than 40 % are
    /// unhealthy at once). New-PacketMachineHealthCheck adds one later.
    /// </summary>
    [Parameter]
    public SwitchParameter NoHealthCheck { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == QuickSet) ValidateClusterName(Name);
        var session = RequireSession();
        RunEngine(() =>
        {
            var (config, catalogue, generatedKey) = Definition(session);
            var bootstrap = BootstrapKubeconfig is { } given ? GetUnresolvedProviderPathFromPSPath(given) : null;
            var root = StateRoot;
            // The name must not be in use by resources of another cluster (ClusterNameInUse), -WhatIf included.
            var ns = config.Cluster.Metadata.Namespace ?? ClusterOperations.DefaultNamespace;
            var claim = RunEngineAsync((_, ct) => ClusterOperations.ClaimAsync(root, config.Name, ns, bootstrap, ct));
            // Again with another definition: stop now, naming the differences, rather than wait for machines the recorded one never makes.
            var recorded = RunEngineAsync((_, ct) => DefinitionDrift.RecordedAsync(root, config.Name, ct));
            if (recorded is not null && DefinitionDrift.Compare(recorded, config, ComparedFields()) is { Count: > 0 } differences)
                throw DefinitionDrift.Error(config.Name, StateLocation.IsPivoted(StateLocation.ClusterDirectory(root, config.Name))
                    ? $"managed where {StateLocation.ManagementKubeconfig(StateLocation.ClusterDirectory(root, config.Name))} points"
                    : $"recorded in {StateLocation.ClusterDirectory(root, config.Name)}", differences);
            // Resuming: the plan and the wait are the recorded definition's (after any day-2 change), not the request's defaults.
            if (recorded is not null) config = recorded.WithFilesOf(config);
            var plan = RunEngineAsync((log, ct) => Preflight.CheckAsync(config, session, log, ct, claim));
            if (bootstrap is not null)
            {
                // Unreachable or unusable: said now, before anything is created anywhere.
                RunEngineAsync(async (_, ct) => { using var _store = await BootstrapCluster.ConnectAsync(bootstrap, ct).ConfigureAwait(false); return true; });
            }
            var healthCheck = !NoHealthCheck && recorded is null && config.MachineHealthChecks.Count == 0
                ? $"\n  MachineHealthCheck {Engine.Controllers.HealthCheckRules.DefaultName(config.Name)}: workers Ready Unknown or False for 5m, or without a Node 10m after boot, are replaced (at most 40 % unhealthy at once)"
                : "";
            if (!ShouldProcess(config.Name, Describe(plan, resume: recorded is not null) + healthCheck + (bootstrap is null ? "" : $"\n  objects recorded in the bootstrap cluster of {bootstrap} (CRDs and provider components applied there)")))
                return;

            var request = new CreateClusterRequest
            {
                Config = config, StateRoot = StateRoot, MachineConfigs = catalogue, Wait = Wait, GeneratedSshPrivateKeyPem = generatedKey?.PrivateKeyPem,
                Until = ProvisionOnly ? CreateStage.Provisioned : NoPivot ? CreateStage.Ready : CreateStage.Pivoted,
                AddonsYaml = config.AddonsFile is { } addons ? Engine.Api.InputFile.ReadAllText(addons, Engine.Api.InputFile.DefinitionLimit, "The add-ons file") : null,
                KubeconfigPath = NoKubeconfig ? null : KubeconfigPath is { } path ? GetUnresolvedProviderPathFromPSPath(path) : KubeconfigFile.DefaultPath(),
                ReplaceKubeconfig = KubeconfigPath is not null,
                BootstrapKubeconfig = bootstrap,
                HealthCheck = !NoHealthCheck,
            };
            // As Get-PacketCluster shows it, in a job too: after the pivot, the cluster's own manager pod (or a warning said why not).
            async Task<PSObject> Create(Engine.IEngineLog log, CancellationToken ct)
            {
                var cluster = await ClusterOperations.CreateAndPivotAsync(request, session, log, ct).ConfigureAwait(false);
                var output = PSObject.AsPSObject(cluster);
                if (request.Until != CreateStage.Provisioned)
                    output.Properties.Add(new PSNoteProperty("ManagedBy", (await ClusterQueries.ManagementAsync(request.StateRoot, cluster.Name, ct).ConfigureAwait(false)).Description));
                return output;
            }
            if (AsJob)
            {
                StartJob($"New-PacketCluster {config.Name}", Create);
                return;
            }
            WriteObject(RunEngineAsync(Create));
        });
    }

    private (PacketClusterConfig Config, MachineConfigCatalogue? Catalogue, Engine.Ssh.SshKeyPair? GeneratedKey) Definition(Engine.Operations.PacketSession session)
    {
        switch (ParameterSetName)
        {
            case InputObjectSet:
                return (InputObject!, InputObject!.Directory is { } dir && ClusterConfigFiles.InDirectory(dir).All.Any(File.Exists)
                    ? ClusterConfigImporter.ImportDirectory(dir).Catalogue : null, null);
            case FilesSet:
                var imported = ClusterConfigImporter.Import(new ClusterConfigFiles(Resolve(ClusterFile)!, Resolve(MachinesFile)!, Resolve(ProviderComponentsFile), Resolve(AddonsFile)));
                foreach (var warning in imported.Warnings) WriteWarning(warning);
                return (imported.Config, imported.Catalogue, null);
            default:
                var sshKey = SshPublicKeyPath is null ? null : Engine.Api.InputFile.ReadAllText(Resolve(SshPublicKeyPath)!, Engine.Api.InputFile.SshPublicKeyLimit, "The SSH public key file");
                var generated = ClusterConfigGenerator.Generate(new ClusterConfigRequest
                {
                    Name = Name, ProjectId = session.RequireProjectId(), ApiKey = session.Options.ApiKey,
                    Metro = Metro, Facility = Metro is null ? Facility : null, ControlPlaneCount = ControlPlaneCount, WorkerCount = WorkerCount,
                    Plan = Plan, OperatingSystem = OperatingSystem, KubernetesVersion = KubernetesVersion,
                    SshPublicKey = sshKey, SshPublicKeyFile = SshPublicKeyPath,
                    // Problems then name the parameter the user typed (-Plan c9.huge), not a machines.yaml they never wrote.
                    BoundParameters = MyInvocation.BoundParameters.Keys.ToList(),
                }, MachineConfigCatalogue.LoadShipped());
                return (generated.Config, null, generated.GeneratedSshKey);
        }
    }

    /// <summary>
    /// What a recorded cluster is compared on: a whole definition (an object or files) says everything; the quick form only
    /// what the user typed (its defaults say nothing about a cluster that exists), and the project of the connection.
    /// </summary>
    private IReadOnlySet<DefinitionField> ComparedFields()
    {
        if (ParameterSetName != QuickSet) return DefinitionDrift.AllFields;
        var bound = MyInvocation.BoundParameters;
        var fields = new HashSet<DefinitionField> { DefinitionField.ProjectId };
        if (bound.ContainsKey(nameof(Metro))) fields.Add(DefinitionField.Metro);
        if (bound.ContainsKey(nameof(Facility)) && !bound.ContainsKey(nameof(Metro))) fields.Add(DefinitionField.Facility);
        if (bound.ContainsKey(nameof(ControlPlaneCount))) fields.Add(DefinitionField.ControlPlaneCount);
        if (bound.ContainsKey(nameof(WorkerCount))) fields.Add(DefinitionField.WorkerCount);
        if (bound.ContainsKey(nameof(Plan))) fields.UnionWith([DefinitionField.ControlPlanePlan, DefinitionField.WorkerPlan]);
        if (bound.ContainsKey(nameof(OperatingSystem))) fields.Add(DefinitionField.OperatingSystem);
        if (bound.ContainsKey(nameof(KubernetesVersion))) fields.Add(DefinitionField.KubernetesVersion);
        return fields;
    }

    private static string Describe(Models.Metal.PacketClusterPlan plan, bool resume)
    {
        var text = new StringBuilder(resume
            ? $"Resume creating cluster {plan.ClusterName} in project {plan.ProjectId} as recorded (devices that exist are adopted, none is made twice), {plan.TotalPricePerHour:0.00} USD/hour:"
            : $"Create cluster {plan.ClusterName} in project {plan.ProjectId}, {plan.TotalPricePerHour:0.00} USD/hour:");
        foreach (var d in plan.Devices) text.Append($"\n  device {d.Hostname} ({d.Role}) {d.Plan} {d.OperatingSystem} in {d.Location} at {d.PricePerHour:0.00} USD/hour");
        foreach (var ip in plan.IpReservations) text.Append($"\n  IP reservation {ip}");
        text.Append($"\n  objects: {string.Join(", ", plan.Objects)}\n");
        return text.ToString();
    }

    private string? Resolve(string? path) => path is null ? null : SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
}
