using PacketCluster.Engine.Bootstrap;
using Xunit;

namespace PacketCluster.Engine.Tests.Bootstrap;

/// <summary>
/// The rendered kubeadm configs for Kubernetes 1.20.2 (and the seed's 1.14.3, whose v1beta1 kubeadm 1.20 still
/// reads) are accepted by the real kubeadm v1.20.2: <c>kubeadm config migrate</c> decodes, defaults and validates
/// them offline (exit 0, or 3 with a field message) and contacts nothing. The binary comes from
/// build/kube-binaries.sh: $PACKETCLUSTER_KUBE_CACHE, default ~/.cache/packetcluster/kube-1.20.2.
/// </summary>
public class KubeadmMigrateTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly MachineConfigCatalogue Catalogue = MachineConfigCatalogue.LoadShipped();
    private static readonly UserdataRenderer Renderer = new(Catalogue);

    public static TheoryData<string, string, MachineRole> Entries()
    {
        var data = new TheoryData<string, string, MachineRole>();
        // kubeadm 1.20 refuses to deploy a control plane older than 1.19, so of the seed's 1.14.3 only the worker's
        // v1beta1 JoinConfiguration can be checked with it (and its shell entry cannot join a control plane anyway).
        foreach (var e in Catalogue.Entries.Where(e => e.Kubelet == "1.20.2" || (e.Kubelet == "1.14.3" && e.ControlPlane is null)))
        {
            foreach (var request in UserdataFixtures.For(e))
            {
                data.Add(e.Image, e.Kubelet, request.Role);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public async Task RealKubeadm_AcceptsRenderedConfig(string image, string version, MachineRole role)
    {
        var request = UserdataFixtures.For(image, version, role);

        var result = await Migrate(Renderer.RenderKubeadmConfig(request), $"{image}-{version}-{role}");

        Assert.True(result.ExitCode == 0, $"kubeadm config migrate exited {result.ExitCode}: {result.Output}");
    }

    [Fact]
    public Task RealKubeadm_RejectsAnInvalidPodSubnet() =>
        AssertRejected(UserdataFixtures.ControlPlane("ubuntu_20_04", "1.20.2"), "broken-podsubnet", "notacidr",
            config => config.Replace("podSubnet: \"10.244.0.0/16\"", "podSubnet: notacidr", StringComparison.Ordinal));

    /// <summary>Proves the worker side is checked too: kubeadm refuses token discovery with neither a pin nor unsafe skip.</summary>
    [Fact]
    public Task RealKubeadm_RejectsAJoinWithoutCaPinOrSkip() =>
        AssertRejected(UserdataFixtures.Worker("ubuntu_20_04", "1.20.2"), "broken-join", "caCertHashes",
            config => string.Join('\n', config.Split('\n').Where(l => !l.Contains("caCertHashes", StringComparison.Ordinal) && !l.Contains("sha256:", StringComparison.Ordinal))));

    /// <summary>Proves kubeadm reads the controlPlane section as a control-plane join, not as an unknown field it ignores.</summary>
    [Fact]
    public Task RealKubeadm_ValidatesTheJoiningControlPlaneSection() =>
        AssertRejected(UserdataFixtures.JoiningControlPlane("ubuntu_22_04", "1.20.2"), "broken-cp-join", "controlPlane.localAPIEndpoint.bindPort",
            config => config.Replace("bindPort: 6443", "bindPort: 70000", StringComparison.Ordinal));

    /// <summary>The rendered config, broken on purpose, is refused by kubeadm with a message that names <paramref name="expected"/>.</summary>
    private static async Task AssertRejected(UserdataRequest request, string name, string expected, Func<string, string> breakIt)
    {
        var config = Renderer.RenderKubeadmConfig(request);
        var broken = breakIt(config);
        Assert.NotEqual(config, broken);

        var result = await Migrate(broken, name);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(expected, result.Output);
    }

    private static async Task<CommandResult> Migrate(string config, string name)
    {
        var kubeadm = RequireKubeadm();
        using var dir = UserdataFixtures.Temp("kubeadm-migrate");
        var input = dir.File(name + ".in.yaml");
        var output = dir.File(name + ".out.yaml");
        await File.WriteAllTextAsync(input, config);
        return await ExternalCommand.RunAsync(kubeadm, ["config", "migrate", "--old-config", input, "--new-config", output], Timeout);
    }

    private static string RequireKubeadm()
    {
        var cache = Environment.GetEnvironmentVariable("PACKETCLUSTER_KUBE_CACHE");
        if (string.IsNullOrEmpty(cache))
        {
            cache = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "packetcluster", "kube-1.20.2");
        }
        var kubeadm = Path.Combine(cache, "kubeadm");
        return File.Exists(kubeadm)
            ? kubeadm
            : throw new InvalidOperationException($"kubeadm v1.20.2 not found at {kubeadm}: run build/kube-binaries.sh (or set PACKETCLUSTER_KUBE_CACHE to its cache directory).");
    }
}
