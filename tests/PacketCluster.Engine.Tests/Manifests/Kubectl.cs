using PacketCluster.Engine.Tests.Kubernetes;
using PacketCluster.Engine.Tests.Pki;

namespace PacketCluster.Engine.Tests.Manifests;

/// <summary>Runs the machine's kubectl (1.32) against the shared control plane, with a private discovery cache.</summary>
internal sealed class Kubectl
{
    private readonly KubeControlPlane _controlPlane;
    private readonly string _cacheDirectory;

    public Kubectl(KubeControlPlane controlPlane)
    {
        _controlPlane = controlPlane;
        _cacheDirectory = Path.Combine(controlPlane.WorkDirectory, "kubectl-cache-manifests");
    }

    public CommandResult Run(params string[] arguments) =>
        ExternalCommand.Run(
            "kubectl",
            new[] { "--kubeconfig", _controlPlane.KubeconfigPath, "--cache-dir", _cacheDirectory }.Concat(arguments),
            _controlPlane.WorkDirectory);

    /// <summary>Runs kubectl and fails the test with kubectl's output unless it exits 0.</summary>
    public string Succeed(params string[] arguments)
    {
        var result = Run(arguments);
        if (result.ExitCode != 0)
        {
            throw new Xunit.Sdk.XunitException($"kubectl {string.Join(' ', arguments)} failed: {result.Describe()}");
        }

        return result.StandardOutput;
    }

    /// <summary>Writes <paramref name="yaml"/> to a new file in the fixture's work directory and returns its path.</summary>
    public string WriteManifest(string name, string yaml)
    {
        var directory = Path.Combine(_controlPlane.WorkDirectory, "manifests");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{Path.GetFileNameWithoutExtension(name)}-{Guid.NewGuid():N}{Path.GetExtension(name)}");
        File.WriteAllText(path, yaml);
        return path;
    }

    /// <summary>Applies the CRDs and waits until they serve; cheap to repeat (server-side apply of the same content).</summary>
    public void EnsureCustomResourceDefinitions()
    {
        var path = WriteManifest("crds.yaml", PacketCluster.Engine.Manifests.CustomResourceDefinitions.Render());
        Succeed("apply", "--server-side", "-f", path);
        Succeed(new[] { "wait", "--for=condition=Established", "--timeout=30s" }
            .Concat(PacketCluster.Engine.Manifests.CustomResourceDefinitions.Plurals.Select(p => "crd/" + PacketCluster.Engine.Manifests.CustomResourceDefinitions.NameOf(p)))
            .ToArray());
    }
}
