using System.Management.Automation;
using System.Net;
using System.Security;
using PacketCluster.Completion;
using PacketCluster.Engine.Bootstrap;
using PacketCluster.Engine.Operations;
using PacketCluster.Models;

namespace PacketCluster.Commands;

/// <summary>Creates a cluster definition: cluster.yaml, machines.yaml, provider-components.yaml and addons.yaml.</summary>
/// <remarks>
/// New-PacketClusterConfig does what the 2019 provider's generate-yaml.sh did, and more. It writes the four files of a
/// cluster definition into -OutputDirectory: the Cluster (pod and service networks, project, location), the
/// control-plane Machines and a MachineDeployment of workers, the provider components (CRDs, RBAC, the manager, the
/// machine-config catalogue and the API credentials) and the add-ons (Packet cloud controller manager and CSI driver).
///
/// Everything is validated before a file is written, and existing files are never replaced without -Force. When no
/// -SshPublicKeyPath is given, an Ed25519 key pair is generated next to the files (the private key with mode 0600).
/// provider-components.yaml and addons.yaml hold the API key: they are written with mode 0600 and a warning says so.
///
/// The API key comes from -ApiKey, else the session's connection (Connect-PacketApi, else the PACKET_API_KEY or
/// METAL_AUTH_TOKEN environment variable); the project from -ProjectId, else the connection's project (else
/// PACKET_PROJECT_ID). The returned object pipes into Get-PacketUserData and later cmdlets.
///
/// With a connection, the metro (or facility), plan and operating system are checked against its catalogue before any
/// file is written: a code that does not exist fails with UnknownLocation, UnknownPlan or UnknownOperatingSystem naming
/// the nearest valid codes. Without a connection (or when the API does not answer) the files are written unchecked and
/// a warning says so.
/// </remarks>
/// <example>
/// <code>$sim = Start-PacketSimulator; $sim | Connect-PacketApi
/// New-PacketClusterConfig -Name demo -Metro sv -OutputDirectory ./demo</code>
/// <para>Takes the project and key from the connection to the simulator and checks metro sv, the plan and the operating system against its catalogue.</para>
/// </example>
/// <example>
/// <code>New-PacketClusterConfig -OutputDirectory ./mycluster -ProjectId $projectId -ApiKey (Read-Host -AsSecureString)</code>
/// <para>Writes a definition with the defaults: a test1-xxxxx name, facility ewr1, one control plane and one worker, services 172.25.0.0/16, pods 172.26.0.0/16, domain cluster.local.</para>
/// </example>
/// <example>
/// <code>$env:PACKET_API_KEY = '…'; $env:PACKET_PROJECT_ID = '…'
/// New-PacketClusterConfig -Name prod -Metro da -ControlPlaneCount 3 -WorkerCount 5 -Plan m3.small.x86 -OperatingSystem ubuntu_22_04 -KubernetesVersion 1.20.2 -OutputDirectory ./prod -SshPublicKeyPath ~/.ssh/id_ed25519.pub</code>
/// <para>Takes the credentials from the environment and writes a three-node control plane with five workers in metro da.</para>
/// </example>
/// <example>
/// <code>New-PacketClusterConfig -OutputDirectory ./mycluster -Force -WhatIf</code>
/// <para>Validates the definition and shows what would be written, without writing anything.</para>
/// </example>
[Cmdlet(VerbsCommon.New, "PacketClusterConfig", HelpUri = HelpLinks.Base + "New-PacketClusterConfig.md", SupportsShouldProcess = true, DefaultParameterSetName = FacilitySet)]
[OutputType(typeof(PacketClusterConfig))]
public sealed class NewPacketClusterConfigCommand : PacketCmdlet
{
    private const string FacilitySet = "Facility";
    private const string MetroSet = "Metro";

    /// <summary>Folder to write the files into (created with mode 0700 when missing). Defaults to ./out/packet, as generate-yaml.sh.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string OutputDirectory { get; set; } = "out/packet";

    /// <summary>Cluster name: 1 to 40 lower-case letters, digits and '-', starting and ending with a letter or digit. Defaults to test1- followed by five random letters and digits.</summary>
    [Parameter]
    public string? Name { get; set; }

    /// <summary>Packet project id. Defaults to the connection's project (Connect-PacketApi), else the PACKET_PROJECT_ID environment variable.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ProjectId { get; set; }

    /// <summary>Packet API key. Defaults to the connection's key (Connect-PacketApi), else the PACKET_API_KEY (or METAL_AUTH_TOKEN) environment variable. It is written only into provider-components.yaml and addons.yaml.</summary>
    [Parameter]
    public SecureString? ApiKey { get; set; }

    /// <summary>Facility code for the cluster and its machines (default ewr1). Use -Metro instead for metro-based placement.</summary>
    [Parameter(ParameterSetName = FacilitySet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(FacilityCompleter))]
    public string Facility { get; set; } = ClusterConfigRequest.DefaultFacility;

    /// <summary>Metro code for the cluster and its machines, e.g. da or sv.</summary>
    [Parameter(Mandatory = true, ParameterSetName = MetroSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(MetroCompleter))]
    public string? Metro { get; set; }

    /// <summary>Number of control-plane machines (default 1).</summary>
    [Parameter]
    [ValidateRange(1, 9)]
    public int ControlPlaneCount { get; set; } = 1;

    /// <summary>Number of workers in the worker MachineDeployment (default 1; 0 for none).</summary>
    [Parameter]
    [ValidateRange(0, 1000)]
    public int WorkerCount { get; set; } = 1;

    /// <summary>Plan (machine type) slug for every machine (default c3.small.x86).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PlanCompleter))]
    public string Plan { get; set; } = ClusterConfigRequest.DefaultPlan;

    /// <summary>Operating system slug (default ubuntu_24_04). It must have an entry in the machine-config catalogue.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ImageCompleter))]
    public string OperatingSystem { get; set; } = ClusterConfigRequest.DefaultOperatingSystem;

    /// <summary>Kubernetes version without a leading v, e.g. 1.20.2. Defaults to the newest the catalogue has for the operating system.</summary>
    [Parameter]
    [ValidateKubernetesVersion]
    [ArgumentCompleter(typeof(KubernetesVersionCompleter))]
    public string? KubernetesVersion { get; set; }

    /// <summary>Pod network CIDR (default 172.26.0.0/16, clear of Packet's 10.x private range).</summary>
    [Parameter]
    public string PodCidr { get; set; } = ClusterConfigRequest.DefaultPodCidr;

    /// <summary>Service network CIDR (default 172.25.0.0/16).</summary>
    [Parameter]
    public string ServiceCidr { get; set; } = ClusterConfigRequest.DefaultServiceCidr;

    /// <summary>Cluster DNS domain (default cluster.local).</summary>
    [Parameter]
    public string ServiceDomain { get; set; } = ClusterConfigRequest.DefaultServiceDomain;

    /// <summary>Path of an SSH public key (.pub) the machines accept. When omitted, an Ed25519 key pair is generated in the output folder.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? SshPublicKeyPath { get; set; }

    /// <summary>Overwrite files that already exist in the output folder.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void EndProcessing()
    {
        ValidateClusterName(Name);
        var directory = SessionState.Path.GetUnresolvedProviderPathFromPSPath(OutputDirectory);
        // The session's connection (Connect-PacketApi, else the environment's implicit one) gives what the parameters do not.
        PacketSession? session = null;
        RunEngine(() => session = PacketSessions.TryGet());
        var projectId = ProjectId ?? session?.Options.ProjectId ?? Environment.GetEnvironmentVariable("PACKET_PROJECT_ID");
        var apiKey = ApiKey is not null ? new NetworkCredential(string.Empty, ApiKey).Password : session?.Options.ApiKey ?? Credentials.ApiKeyFromEnvironment();
        if (string.IsNullOrEmpty(projectId))
            ThrowTerminatingError(Error(new PSArgumentException("No project: pass -ProjectId, connect with Connect-PacketApi -ProjectId, or set the PACKET_PROJECT_ID environment variable."),
                "ProjectIdMissing", ErrorCategory.InvalidArgument, null, "Pass -ProjectId, or run Connect-PacketApi with -ProjectId (Start-PacketSimulator | Connect-PacketApi for the simulator)."));
        if (string.IsNullOrEmpty(apiKey))
            ThrowTerminatingError(Error(new PSArgumentException("No API key: pass -ApiKey (a SecureString), connect with Connect-PacketApi, or set the PACKET_API_KEY or METAL_AUTH_TOKEN environment variable."),
                "ApiKeyMissing", ErrorCategory.InvalidArgument, null, "Pass -ApiKey (Read-Host -AsSecureString), or run Connect-PacketApi first."));
        CheckAgainstCatalogue(session);

        string? sshKey = null, sshKeyFile = null;
        if (SshPublicKeyPath is not null)
        {
            sshKeyFile = SessionState.Path.GetUnresolvedProviderPathFromPSPath(SshPublicKeyPath);
            if (!File.Exists(sshKeyFile))
                ThrowTerminatingError(WithAdvice(new ErrorRecord(new FileNotFoundException($"The SSH public key '{sshKeyFile}' does not exist.", sshKeyFile),
                    "SshPublicKeyNotFound", ErrorCategory.ObjectNotFound, sshKeyFile), "Check the -SshPublicKeyPath path, or leave it out to generate a key pair."));
            sshKey = Engine.Api.InputFile.ReadAllText(sshKeyFile, Engine.Api.InputFile.SshPublicKeyLimit, "The SSH public key file");
        }

        RunEngine(() =>
        {
            var request = new ClusterConfigRequest
            {
                Name = Name, ProjectId = projectId!, ApiKey = apiKey!, Facility = Metro is null ? Facility : null, Metro = Metro,
                ControlPlaneCount = ControlPlaneCount, WorkerCount = WorkerCount, Plan = Plan, OperatingSystem = OperatingSystem,
                KubernetesVersion = KubernetesVersion, PodCidr = PodCidr, ServiceCidr = ServiceCidr, ServiceDomain = ServiceDomain,
                SshPublicKey = sshKey, SshPublicKeyFile = sshKeyFile,
                // Problems then name the parameter the user typed (-OperatingSystem …), not the machines.yaml about to be written.
                BoundParameters = MyInvocation.BoundParameters.Keys.ToList(),
            };
            var generated = ClusterConfigGenerator.Generate(request, MachineConfigCatalogue.LoadShipped());
            var existing = ClusterConfigWriter.ExistingFiles(directory, generated);
            var action = existing.Count > 0 ? $"Overwrite {string.Join(", ", existing.Select(Path.GetFileName))}" : $"Write {string.Join(", ", generated.Files.Select(f => f.FileName))}";
            if (!ShouldProcess(directory, action)) return;

            var written = ClusterConfigWriter.Write(directory, generated, Force);
            foreach (var path in written) WriteVerbose($"Wrote {path}");
            WriteWarning($"{Path.Combine(directory, "provider-components.yaml")} and {Path.Combine(directory, "addons.yaml")} hold the Packet API key (mode 0600). Do not commit or share them.");
            if (generated.GeneratedSshKey is not null)
                WriteWarning($"Generated an SSH key pair: {Path.Combine(directory, ClusterConfigGenerator.SshKeyFileName)} (private, mode 0600) and its .pub.");

            var config = generated.Config;
            config.Directory = directory;
            config.FromParameters = null; // the files exist now: later problems name them
            config.ClusterFile = Path.Combine(directory, config.ClusterFile!);
            config.MachinesFile = Path.Combine(directory, config.MachinesFile!);
            config.ProviderComponentsFile = Path.Combine(directory, "provider-components.yaml");
            config.AddonsFile = Path.Combine(directory, "addons.yaml");
            config.SshPublicKeyFile ??= generated.GeneratedSshKey is null ? null : Path.Combine(directory, ClusterConfigGenerator.SshKeyFileName + ".pub");
            WriteObject(config);
        });
        base.EndProcessing();
    }

    /// <summary>
    /// With a connection, the metro or facility, plan and operating system must exist in its catalogue (UnknownLocation,
    /// UnknownPlan, UnknownOperatingSystem naming the nearest codes). Without one, or when the API does not answer, the
    /// definition is written unchecked and a warning says so.
    /// </summary>
    private void CheckAgainstCatalogue(PacketSession? session)
    {
        var location = Metro is null ? $"facility '{Facility}'" : $"metro '{Metro}'";
        if (session is null)
        {
            WriteWarning($"Not connected to the Packet API: {location}, plan '{Plan}' and operating system '{OperatingSystem}' were not checked against the catalogue. Run Connect-PacketApi first to check them.");
            return;
        }
        // The engine's failure comes back as a value: RunEngine would end the command with it before a connection
        // failure could be turned into a warning.
        var failure = RunEngineAsync<Engine.PacketClusterException?>(async (log, ct) =>
        {
            try
            {
                await ConfigCatalogueCheck.CheckAsync(session, Metro, Metro is null ? Facility : null, Plan, OperatingSystem, log, ct).ConfigureAwait(false);
                return null;
            }
            catch (Engine.PacketClusterException e) { return e; }
        });
        if (failure is null) return;
        if (failure is Engine.Metal.PacketApiConnectionException)
        {
            WriteWarning($"The Packet API at {session.Options.Endpoint} did not answer: {location}, plan '{Plan}' and operating system '{OperatingSystem}' were not checked against the catalogue.");
            return;
        }
        var record = ToErrorRecord(failure);
        record.ErrorDetails = new ErrorDetails(failure.Message)
        {
            RecommendedAction = failure.ErrorId switch
            {
                "UnknownLocation" => Metro is null ? "Use one of the nearest facility codes; Get-PacketFacility lists them all." : "Use one of the nearest metro codes; Get-PacketMetro lists them all.",
                "UnknownPlan" => "Use one of the nearest plan slugs; Get-PacketPlan lists them all.",
                "UnknownOperatingSystem" => "Use one of the nearest operating system slugs; Get-PacketOperatingSystem lists them all.",
                _ => "Check the connection with Get-PacketConnection, or connect again with Connect-PacketApi.",
            },
        };
        ThrowTerminatingError(record);
    }

    private static ErrorRecord Error(Exception exception, string id, ErrorCategory category, object? target, string action) =>
        new(exception, id, category, target) { ErrorDetails = new ErrorDetails(exception.Message) { RecommendedAction = action } };
}
