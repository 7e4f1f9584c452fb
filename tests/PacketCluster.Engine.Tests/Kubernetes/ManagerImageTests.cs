using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using PacketCluster.Engine.Tests.Manifests;
using PacketCluster.Engine.Tests.Pki;
using PacketCluster.Simulator.Config;
using PacketCluster.Simulator.Hosting;
using Xunit;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>
/// The manager's OCI image as <c>./build.sh Image</c> writes it (out/image/manager-&lt;version&gt;-amd64.tar): its
/// configuration read back with skopeo, its root checked for leftovers, and the image run for real with runc against
/// the simulator and the real kube-apiserver. runc, not podman: in this VM podman cannot set the container's
/// RLIMIT_NPROC/RLIMIT_NOFILE ("OCI permission denied") whatever --ulimit says, while runc runs the bundle that
/// umoci unpacks from the same image. Host network, as <c>podman run --network host</c> would give.
/// </summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class ManagerImageTests(KubeControlPlane controlPlane)
{
    private const int NonRoot = 65532;

    [Fact]
    public void The_image_names_its_entrypoint_non_root_user_labels_and_memory_setting()
    {
        var config = JsonNode.Parse(Run("skopeo", "inspect", "--config", "oci-archive:" + ImagePath()))!;
        var process = config["config"]!;
        Assert.Equal("/app/PacketCluster.Manager", process["Entrypoint"]![0]!.GetValue<string>());
        Assert.Equal($"{NonRoot}:{NonRoot}", process["User"]!.GetValue<string>());
        var env = process["Env"]!.AsArray().Select(e => e!.GetValue<string>()).ToList();
        Assert.Contains("MALLOC_ARENA_MAX=2", env);
        Assert.DoesNotContain(env, e => e.StartsWith("PACKET_", StringComparison.Ordinal));
        var labels = process["Labels"]!.AsObject();
        Assert.Equal(Version, labels["org.opencontainers.image.version"]!.GetValue<string>());
        Assert.Equal("Apache-2.0", labels["org.opencontainers.image.licenses"]!.GetValue<string>());
        foreach (var label in new[] { "title", "description", "revision", "created", "source" })
            Assert.False(string.IsNullOrEmpty(labels[$"org.opencontainers.image.{label}"]?.GetValue<string>()), $"label org.opencontainers.image.{label}");
        Assert.Equal("amd64", config["architecture"]!.GetValue<string>());
        Assert.Equal("linux", config["os"]!.GetValue<string>());

        // The Dockerfile (for users with Docker) builds the same image: same user, entrypoint, environment and labels.
        var dockerfile = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "PacketCluster.Manager", "Dockerfile"));
        Assert.Contains($"USER {NonRoot}:{NonRoot}", dockerfile);
        Assert.Contains("ENTRYPOINT [\"/app/PacketCluster.Manager\"]", dockerfile);
        Assert.Contains("build/manager-rootfs.sh", dockerfile);
        var dockerEnv = dockerfile.Split('\n').Single(l => l.StartsWith("ENV ", StringComparison.Ordinal))[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(env.Order(), dockerEnv.Order());
        foreach (var (key, value) in labels)
            if (key is not ("org.opencontainers.image.revision" or "org.opencontainers.image.created" or "org.opencontainers.image.version"))
                Assert.Contains($"{key}=\"{value!.GetValue<string>()}\"", dockerfile);

        // The arm64 image is built beside it, for the other architecture.
        var arm = JsonNode.Parse(Run("skopeo", "inspect", "--config", "oci-archive:" + ImagePath("arm64")))!;
        Assert.Equal("arm64", arm["architecture"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_image_runs_serves_its_probes_and_takes_the_lease()
    {
        new Kubectl(controlPlane).EnsureCustomResourceDefinitions();
        using var work = new TempDirectory("image");
        var bundle = Unpack(work.Path);
        var rootfs = Path.Combine(bundle, "rootfs");

        // Nothing but the runtime's libraries, the CA bundle and the one executable: no symbols, no shell, no package
        // manager, no key material.
        var files = Directory.EnumerateFiles(rootfs, "*", SearchOption.AllDirectories).Select(f => "/" + Path.GetRelativePath(rootfs, f)).ToList();
        Assert.Contains("/app/PacketCluster.Manager", files);
        Assert.Contains("/etc/ssl/certs/ca-certificates.crt", files);
        Assert.DoesNotContain(files, f => f.EndsWith(".pdb", StringComparison.Ordinal) || f.EndsWith(".dll", StringComparison.Ordinal)
            || f.Contains("/obj/", StringComparison.Ordinal) || f.StartsWith("/root/", StringComparison.Ordinal) || f.Contains("/.git", StringComparison.Ordinal));
        Assert.DoesNotContain(files, f => f is "/bin/sh" or "/usr/bin/sh" or "/bin/bash" or "/usr/bin/apt" or "/usr/bin/dpkg");
        // Key material would be a PEM file; the programs and libraries (ELF) name PEM labels in their code.
        foreach (var file in files)
        {
            var bytes = File.ReadAllBytes(Path.Combine(rootfs, file.TrimStart('/')));
            if (bytes.AsSpan().StartsWith("\u007fELF"u8)) continue;
            Assert.False(System.Text.Encoding.Latin1.GetString(bytes).Contains("PRIVATE KEY-----", StringComparison.Ordinal), $"{file} holds a private key");
        }

        await using var simulator = await SimulatorHost.StartAsync(new SimulatorOptions { Seed = 8, Config = new SimulatorConfig { Boot = new BootConfig { Enabled = false } } });
        var healthPort = LoopbackPort.PickFree();
        var metricsPort = LoopbackPort.PickFree();
        var leaseNamespace = $"img-{Guid.NewGuid():N}"[..12];
        const string identity = "manager-image-under-test";
        // The kubeconfig is mounted read-only and readable by the image's user alone, as a Secret volume would be.
        var kubeconfig = Path.Combine(work.Path, "kubeconfig");
        File.Copy(controlPlane.KubeconfigPath, kubeconfig);
        Run("chown", $"{NonRoot}:{NonRoot}", kubeconfig);
        File.SetUnixFileMode(kubeconfig, UnixFileMode.UserRead);
        PrepareForHostNetwork(bundle, kubeconfig,
            ["--kubeconfig=/var/run/packetcluster/kubeconfig", "--leader-elect", $"--lease-namespace={leaseNamespace}",
             $"--health-addr=127.0.0.1:{healthPort}", $"--metrics-addr=127.0.0.1:{metricsPort}", $"--identity={identity}"],
            new Dictionary<string, string>
            {
                ["PACKET_API_KEY"] = simulator.ApiKey, ["PACKET_PROJECT_ID"] = simulator.ProjectId, ["PACKET_API_URL"] = simulator.BaseUrl.ToString(),
            });

        var container = $"packetcluster-image-{Guid.NewGuid():N}"[..32];
        var output = new System.Text.StringBuilder();
        var start = new ProcessStartInfo("runc") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "run", "--bundle", bundle, container }) start.ArgumentList.Add(a);
        using var runc = Process.Start(start)!;
        runc.OutputDataReceived += (_, e) => { if (e.Data is { } l) lock (output) output.AppendLine(l); };
        runc.ErrorDataReceived += (_, e) => { if (e.Data is { } l) lock (output) output.AppendLine(l); };
        runc.BeginOutputReadLine();
        runc.BeginErrorReadLine();
        string Output() { lock (output) return output.ToString(); }
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var admin = controlPlane.CreateClient();
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            string? holder = null, health = null, ready = null;
            while (!(holder == identity && health == "ok" && ready == "ok: leading"))
            {
                Assert.True(DateTime.UtcNow < deadline, $"the image did not serve and lead within 60 s (holder '{holder}', /healthz '{health}', /readyz '{ready}'):\n{Output()}");
                Assert.False(runc.HasExited, $"the container exited:\n{Output()}");
                await Task.Delay(300);
                try
                {
                    health = await http.GetStringAsync($"http://127.0.0.1:{healthPort}/healthz");
                    ready = await http.GetStringAsync($"http://127.0.0.1:{healthPort}/readyz");
                    holder = (await admin.CoordinationV1.ReadNamespacedLeaseAsync("packetcluster-manager", leaseNamespace)).Spec.HolderIdentity;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or k8s.Autorest.HttpOperationException) { }
            }
            Assert.Contains("packetcluster_manager_leading 1", await http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics"));

            // Stopped as the kubelet stops a pod: SIGTERM to the container, a clean exit.
            Run("runc", "kill", container, "TERM");
            Assert.True(runc.WaitForExit(TimeSpan.FromSeconds(20)), $"the container did not stop within 20 s of SIGTERM:\n{Output()}");
            runc.WaitForExit();
            Assert.Equal(0, runc.ExitCode);
            Assert.DoesNotContain(simulator.ApiKey, Output());
        }
        finally
        {
            if (!runc.HasExited) TryRun("runc", "kill", container, "KILL");
            runc.WaitForExit(10_000);
            TryRun("runc", "delete", "--force", container);
        }
    }

    /// <summary>The engine's version, which the image is tagged with (both come from Directory.Build.props).</summary>
    private static string Version => typeof(PacketCluster.Engine.Operations.ClusterOperations).Assembly.GetName().Version!.ToString(3);

    private static string ImagePath(string arch = "amd64")
    {
        var file = $"manager-{Version}-{arch}.tar";
        if (Environment.GetEnvironmentVariable("PACKETCLUSTER_IMAGE_DIR") is { Length: > 0 } dir) return Path.Combine(dir, file);
        var path = Path.Combine(RepositoryRoot(), "out", "image", file);
        Assert.True(File.Exists(path), $"{path} is missing: build it with ./build.sh Image (./build.sh Test does)");
        return path;
    }

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "PacketCluster.sln"))) return d.FullName;
        throw new DirectoryNotFoundException($"no PacketCluster.sln above {AppContext.BaseDirectory}");
    }

    /// <summary>The image as an OCI runtime bundle (config.json + rootfs), the way podman would lay it out.</summary>
    private static string Unpack(string work)
    {
        var layout = Path.Combine(work, "layout");
        Run("skopeo", "copy", "--quiet", "oci-archive:" + ImagePath(), $"oci:{layout}:manager");
        var bundle = Path.Combine(work, "bundle");
        Run("umoci", "unpack", "--image", $"{layout}:manager", bundle);
        return bundle;
    }

    /// <summary>
    /// What <c>podman run --network host -e … -v kubeconfig:…:ro image args…</c> would change in the bundle: the host's
    /// network namespace, the arguments after the entrypoint, the environment, the mounted kubeconfig; no rlimits and
    /// no cgroup limits, which this VM does not let a container runtime set.
    /// </summary>
    private static void PrepareForHostNetwork(string bundle, string kubeconfig, IEnumerable<string> args, IReadOnlyDictionary<string, string> env)
    {
        var path = Path.Combine(bundle, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var process = config["process"]!.AsObject();
        process["terminal"] = false;
        process["rlimits"] = new JsonArray();
        var argv = process["args"]!.AsArray();
        foreach (var a in args) argv.Add(a);
        var environment = process["env"]!.AsArray();
        foreach (var (k, v) in env) environment.Add($"{k}={v}");
        var linux = config["linux"]!.AsObject();
        linux.Remove("resources");
        var namespaces = linux["namespaces"]!.AsArray();
        foreach (var ns in namespaces.Where(n => n!["type"]!.GetValue<string>() == "network").ToList()) namespaces.Remove(ns);
        config["mounts"]!.AsArray().Add(new JsonObject
        {
            ["destination"] = "/var/run/packetcluster/kubeconfig", ["type"] = "bind", ["source"] = kubeconfig,
            ["options"] = new JsonArray("rbind", "ro"),
        });
        File.WriteAllText(path, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    private static string Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(120)), $"{file} {string.Join(' ', args)} did not finish within 120 s");
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    private static void TryRun(string file, params string[] args)
    {
        try { Run(file, args); }
        catch (Exception e) when (e is Xunit.Sdk.XunitException or System.ComponentModel.Win32Exception) { }
    }
}
