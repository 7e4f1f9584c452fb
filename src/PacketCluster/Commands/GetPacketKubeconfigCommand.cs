using System.Management.Automation;
using PacketCluster.Engine.Operations;

namespace PacketCluster.Commands;

/// <summary>Gets an admin kubeconfig for a cluster, minted from the cluster's CA for its control-plane endpoint.</summary>
/// <remarks>
/// The kubeconfig names cluster &lt;name&gt;, user kubernetes-admin (client certificate CN=kubernetes-admin,
/// O=system:masters, one year) and context kubernetes-admin@&lt;name&gt;, with server https://&lt;endpoint&gt;:6443.
/// Without -Path or -Merge it is returned as a string. -Path writes it (mode 0600). -Merge merges it into the first file
/// of $env:KUBECONFIG, else ~/.kube/config, keeping every other cluster, user and context and making this context
/// current, as Import-AzAksCredential does; the user is stored as kubernetes-admin@&lt;name&gt; so clusters never
/// overwrite each other's credentials. The output holds a private key.
/// </remarks>
/// <example>
/// <code>Get-PacketKubeconfig demo -Path ./demo.kubeconfig; kubectl --kubeconfig ./demo.kubeconfig get nodes</code>
/// <para>Writes the kubeconfig to a file and uses it.</para>
/// </example>
/// <example>
/// <code>Get-PacketCluster demo | Get-PacketKubeconfig -Merge</code>
/// <para>Merges the cluster into ~/.kube/config and switches kubectl to it.</para>
/// </example>
[Cmdlet(VerbsCommon.Get, "PacketKubeconfig", HelpUri = HelpLinks.Base + "Get-PacketKubeconfig.md", DefaultParameterSetName = StringSet, SupportsShouldProcess = true)]
[OutputType(typeof(string), typeof(FileInfo))]
public sealed class GetPacketKubeconfigCommand : StateCmdlet
{
    private const string StringSet = "String";
    private const string PathSet = "Path";
    private const string MergeSet = "Merge";

    /// <summary>The cluster (pipe a cluster object).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(Completion.ClusterNameCompleter))]
    public string Name { get; set; } = string.Empty;

    /// <summary>Write the kubeconfig to this file (mode 0600) instead of returning it.</summary>
    [Parameter(Mandatory = true, ParameterSetName = PathSet)]
    [ValidateNotNullOrEmpty]
    public string? Path { get; set; }

    /// <summary>Merge into $env:KUBECONFIG (first file) or ~/.kube/config and make the context current.</summary>
    [Parameter(Mandatory = true, ParameterSetName = MergeSet)]
    public SwitchParameter Merge { get; set; }

    /// <summary>With -Path, replace a file that exists (without it, an existing file is an error and is left alone).</summary>
    [Parameter(ParameterSetName = PathSet)]
    public SwitchParameter Force { get; set; }

    /// <summary>With -Path or -Merge, output the file written.</summary>
    [Parameter(ParameterSetName = PathSet)]
    [Parameter(ParameterSetName = MergeSet)]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var root = StateRoot;
        var target = ParameterSetName switch
        {
            PathSet => SessionState.Path.GetUnresolvedProviderPathFromPSPath(Path!),
            MergeSet => KubeconfigFile.DefaultPath(),
            _ => null,
        };
        if (ParameterSetName == PathSet && File.Exists(target) && !Force)
        {
            // Before anything is minted: a kubeconfig someone relies on is never replaced by accident.
            var exists = new IOException($"{target} exists. -Force replaces it; -Merge adds the cluster to a kubeconfig instead.");
            ThrowTerminatingError(new ErrorRecord(exists, "KubeconfigFileExists", ErrorCategory.ResourceExists, target)
            {
                ErrorDetails = new ErrorDetails(exists.Message) { RecommendedAction = "Add -Force to replace the file, or use -Merge." },
            });
        }
        var kubeconfig = RunEngineAsync((_, ct) => ClusterQueries.AdminKubeconfigAsync(root, Name, ct));
        if (target is null)
        {
            WriteWarning("The kubeconfig holds the cluster's admin private key. Treat it as a secret; -Path writes it to a file only you can read (0600).");
            WriteObject(kubeconfig);
            return;
        }
        if (!ShouldProcess(target, ParameterSetName == PathSet ? "Write kubeconfig" : $"Merge cluster {Name} into kubeconfig")) return;
        RunEngineAsync(async (_, ct) =>
        {
            if (ParameterSetName == PathSet) await KubeconfigFile.WriteAsync(target, kubeconfig, ct);
            else await KubeconfigFile.MergeIntoAsync(target, kubeconfig, ct);
            return true;
        });
        if (PassThru) WriteObject(new FileInfo(target));
    }
}
