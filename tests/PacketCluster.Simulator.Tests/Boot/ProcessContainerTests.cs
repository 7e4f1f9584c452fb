using System.Net;
using System.Net.Sockets;
using k8s.Models;
using PacketCluster.Simulator.Boot.Pods;
using Xunit;

namespace PacketCluster.Simulator.Tests.Boot;

/// <summary>A real container's process: exactly its environment, its log, restarts per restartPolicy, probes on loopback.</summary>
public sealed class ProcessContainerTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("pc-container-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private ProcessContainer Container(string script, string restartPolicy, V1Probe? readiness = null, V1Probe? liveness = null,
        IReadOnlyDictionary<string, string>? env = null)
    {
        var spec = new V1Container { Name = "c", Image = "test", ReadinessProbe = readiness, LivenessProbe = liveness };
        var launch = new ContainerLaunch("/bin/sh", ["-c", script], env ?? new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin" }, _folder, IPAddress.Loopback);
        return new ProcessContainer(spec, launch, "p", restartPolicy, Path.Combine(_folder, "0.log"), () => { }, _ => { }, TimeSpan.FromMilliseconds(200));
    }

    private static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within 30 s: {what}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task GetsExactlyItsEnvironment_AndItsOutputIsTheLog()
    {
        Environment.SetEnvironmentVariable("PACKETCLUSTER_TEST_SECRET", "must-not-leak");
        await using var container = Container("echo \"value=$GIVEN\"; env", "Never",
            env: new Dictionary<string, string> { ["PATH"] = "/usr/bin:/bin", ["GIVEN"] = "from-the-pod" });
        container.Start();
        await WaitAsync(() => container.Finished, "the process ends");
        var log = await File.ReadAllTextAsync(Path.Combine(_folder, "0.log"));
        Assert.Contains("value=from-the-pod", log);
        Assert.DoesNotContain("must-not-leak", log);
        var status = container.Status();
        Assert.Equal("Completed", status.State.Terminated.Reason);
        Assert.Equal(0, status.RestartCount);
    }

    [Fact]
    public async Task OnFailure_RestartsAFailingProcessWithBackOff_ButNotOneThatSucceeded()
    {
        await using var failing = Container("exit 3", "OnFailure");
        failing.Start();
        await WaitAsync(() => failing.Status().RestartCount >= 2, "two restarts");
        var status = failing.Status();
        Assert.Equal(3, status.LastState.Terminated.ExitCode);
        Assert.False(failing.Finished);

        await using var succeeding = Container("exit 0", "OnFailure");
        succeeding.Start();
        await WaitAsync(() => succeeding.Finished, "a clean exit ends it");
        Assert.Equal(0, succeeding.Status().RestartCount);
    }

    [Fact]
    public async Task ReadinessFollowsItsProbe_AndAFailingLivenessProbeRestartsIt()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var open = ((IPEndPoint)listener.LocalEndpoint).Port;
        var ready = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = open.ToString() }, PeriodSeconds = 1 };
        await using var healthy = Container("exec sleep 30", "Always", readiness: ready);
        healthy.Start();
        await WaitAsync(() => healthy.Ready, "ready once its probe answers");

        listener.Stop(); // Nothing listens there any more.
        var alive = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = open.ToString() }, PeriodSeconds = 1, FailureThreshold = 1 };
        await using var dead = Container("exec sleep 30", "Always", liveness: alive);
        dead.Start();
        await WaitAsync(() => dead.Status().RestartCount >= 1, "restarted after its liveness probe failed");
    }

    [Fact]
    public async Task AProbeHostThatIsNotLoopbackIsNeverContacted()
    {
        var elsewhere = new V1Probe { HttpGet = new V1HTTPGetAction { Host = "192.0.2.1", Port = "80", Path = "/" }, PeriodSeconds = 1 };
        await using var container = Container("exec sleep 30", "Always", readiness: elsewhere);
        container.Start();
        await WaitAsync(() => container.HasStarted, "started");
        await Task.Delay(1500);
        Assert.False(container.Ready);
    }
}
