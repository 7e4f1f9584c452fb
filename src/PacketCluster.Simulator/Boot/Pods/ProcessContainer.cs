using System.Net;
using System.Net.Sockets;
using k8s.Models;

namespace PacketCluster.Simulator.Boot.Pods;

/// <summary>
/// A container that runs for real: its process started with the resolved command, environment and root, stdout and
/// stderr appended to the container log, readiness and liveness probes (httpGet, tcpSocket) against the container's
/// loopback address — never the recorded pod IP — and restarts per restartPolicy with the kubelet's back-off
/// (10 s doubling to 5 min). Stopping sends SIGTERM, then SIGKILL after 5 s.
/// </summary>
internal sealed class ProcessContainer : IAsyncDisposable
{
    private static readonly TimeSpan DefaultFirstBackOff = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxBackOff = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan StableRun = TimeSpan.FromMinutes(10);

    private readonly TimeSpan FirstBackOff;
    private readonly V1Container _spec;
    private readonly ContainerLaunch _launch;
    private readonly string _podName;
    private readonly string _restartPolicy;
    private readonly string _logPath;
    private readonly Action _changed;
    private readonly Action<string> _say;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private Task _run = Task.CompletedTask;

    private V1ContainerState _state = new() { Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" } };
    private V1ContainerState? _lastState;
    private bool _ready;
    private bool _started;
    private int _restarts;
    private int _processId;

    /// <param name="firstBackOff">The kubelet's 10 s; tests shorten it.</param>
    public ProcessContainer(V1Container spec, ContainerLaunch launch, string podName, string? restartPolicy, string logPath, Action changed, Action<string> say,
        TimeSpan? firstBackOff = null)
    {
        FirstBackOff = firstBackOff ?? DefaultFirstBackOff;
        _spec = spec;
        _launch = launch;
        _podName = podName;
        _restartPolicy = restartPolicy ?? "Always";
        _logPath = logPath;
        _changed = changed;
        _say = say;
    }

    public string Name => _spec.Name;
    public string LogPath => _logPath;

    /// <summary>Exited and will not be started again (restartPolicy Never, or OnFailure after a clean exit).</summary>
    public bool Finished { get { lock (_gate) return _state.Terminated is not null; } }
    public bool Ready { get { lock (_gate) return _ready; } }
    public bool HasStarted { get { lock (_gate) return _started; } }
    public int? ExitCode { get { lock (_gate) return _state.Terminated?.ExitCode; } }

    public void Start() => _run = Task.Run(() => RunAsync(_stop.Token));

    public V1ContainerStatus Status()
    {
        lock (_gate)
        {
            return new V1ContainerStatus
            {
                Name = _spec.Name,
                Image = _spec.Image,
                ImageID = $"process://{_launch.Executable}",
                ContainerID = _processId == 0 ? null : $"process://{_processId}",
                Ready = _ready,
                Started = _state.Running is not null && _started,
                RestartCount = _restarts,
                State = _state,
                LastState = _lastState ?? new V1ContainerState(),
            };
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var backOff = FirstBackOff;
        while (!stopping.IsCancellationRequested)
        {
            KubeProcess process;
            try
            {
                process = KubeProcess.Start(_spec.Name, _launch.Executable, _launch.Arguments, Path.GetDirectoryName(_logPath)!, _launch.RootDirectory,
                    _launch.Environment, _logPath);
            }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or IOException or InvalidOperationException)
            {
                Set(new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "RunContainerError", Message = e.Message } }, ready: false);
                await DelayAsync(backOff, stopping);
                backOff = Next(backOff);
                continue;
            }
            var startedAt = DateTime.UtcNow;
            lock (_gate)
            {
                _processId = process.ProcessId;
                _started = true;
                _state = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = startedAt } };
                _ready = _spec.ReadinessProbe is null;
            }
            _say($"container {_spec.Name} of pod {_podName}: started process {process.ProcessId} ({Path.GetFileName(_launch.Executable)})");
            _changed();

            using var probing = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            var livenessFailed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var readiness = _spec.ReadinessProbe is { } rp ? ProbeLoopAsync(rp, "Readiness", ok => SetReady(ok), () => { }, probing.Token) : Task.CompletedTask;
            var liveness = _spec.LivenessProbe is { } lp ? ProbeLoopAsync(lp, "Liveness", _ => { }, () => livenessFailed.TrySetResult(), probing.Token) : Task.CompletedTask;

            var exited = process.WaitForExitAsync(stopping);
            await Task.WhenAny(exited, livenessFailed.Task);
            await probing.CancelAsync();
            await Task.WhenAll(readiness, liveness).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            var killed = livenessFailed.Task.IsCompleted && !process.HasExited;
            if (killed) _say($"container {_spec.Name} of pod {_podName} failed its liveness probe; restarting it");
            // Read before the process object goes; one stopped by us counts as killed (128 + SIGKILL).
            var exitCode = process.HasExited ? process.ExitCode ?? 137 : 137;
            await process.DisposeAsync();
            if (stopping.IsCancellationRequested) return;

            var terminated = new V1ContainerStateTerminated
            {
                ExitCode = exitCode, Reason = exitCode == 0 ? "Completed" : "Error", StartedAt = startedAt, FinishedAt = DateTime.UtcNow,
                ContainerID = $"process://{process.ProcessId}",
            };
            _say($"container {_spec.Name} of pod {_podName}: process {process.ProcessId} exited with code {exitCode}");
            var restart = _restartPolicy == "Always" || (_restartPolicy == "OnFailure" && exitCode != 0);
            if (!restart)
            {
                Set(new V1ContainerState { Terminated = terminated }, ready: false);
                return;
            }
            if (DateTime.UtcNow - startedAt > StableRun) backOff = FirstBackOff;
            lock (_gate)
            {
                _lastState = new V1ContainerState { Terminated = terminated };
                _restarts++;
                _ready = false;
                _state = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = "CrashLoopBackOff",
                    Message = $"back-off {backOff.TotalSeconds:F0}s restarting failed container={_spec.Name} pod={_podName}" } };
            }
            _changed();
            await DelayAsync(backOff, stopping);
            backOff = Next(backOff);
        }
    }

    private static TimeSpan Next(TimeSpan backOff) => backOff * 2 > MaxBackOff ? MaxBackOff : backOff * 2;

    private static async Task DelayAsync(TimeSpan delay, CancellationToken stopping)
    {
        try { await Task.Delay(delay, stopping); }
        catch (OperationCanceledException) { /* stopping */ }
    }

    private void Set(V1ContainerState state, bool ready)
    {
        lock (_gate)
        {
            _state = state;
            _ready = ready;
        }
        _changed();
    }

    private void SetReady(bool ready)
    {
        bool changed;
        lock (_gate)
        {
            changed = _ready != ready && _state.Running is not null;
            if (changed) _ready = ready;
        }
        if (changed) _changed();
    }

    /// <summary>The kubelet's prober: after the initial delay, every period; a result counts once it repeats its threshold.</summary>
    private async Task ProbeLoopAsync(V1Probe probe, string kind, Action<bool> onResult, Action onFailed, CancellationToken cancel)
    {
        var period = TimeSpan.FromSeconds(Math.Max(1, probe.PeriodSeconds ?? 10));
        var timeout = TimeSpan.FromSeconds(Math.Max(1, probe.TimeoutSeconds ?? 1));
        int successes = 0, failures = 0;
        int successThreshold = Math.Max(1, probe.SuccessThreshold ?? 1), failureThreshold = Math.Max(1, probe.FailureThreshold ?? 3);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = timeout }) { Timeout = timeout };
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Max(0, probe.InitialDelaySeconds ?? 0)), cancel);
            while (!cancel.IsCancellationRequested)
            {
                var (ok, detail) = await ProbeOnceAsync(http, probe, timeout, cancel);
                if (ok) { successes++; failures = 0; } else { failures++; successes = 0; }
                if (ok && successes >= successThreshold) onResult(true);
                if (!ok && failures >= failureThreshold)
                {
                    onResult(false);
                    if (failures == failureThreshold) _say($"container {_spec.Name} of pod {_podName}: {kind} probe failed: {detail}");
                    onFailed();
                }
                await Task.Delay(period, cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // Stopped with the process.
        }
    }

    private async Task<(bool Ok, string Detail)> ProbeOnceAsync(HttpClient http, V1Probe probe, TimeSpan timeout, CancellationToken cancel)
    {
        try
        {
            if (probe.HttpGet is { } get)
            {
                var host = Host(get.Host);
                var url = $"{(get.Scheme?.ToUpperInvariant() == "HTTPS" ? "https" : "http")}://{host}:{Port(get.Port)}{(string.IsNullOrEmpty(get.Path) ? "/" : get.Path)}";
                using var response = await http.GetAsync(url, cancel);
                var code = (int)response.StatusCode;
                return (code is >= 200 and < 400, $"HTTP probe failed with statuscode: {code}");
            }
            if (probe.TcpSocket is { } tcp)
            {
                using var client = new TcpClient();
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                bounded.CancelAfter(timeout);
                await client.ConnectAsync(Host(tcp.Host), Port(tcp.Port), bounded.Token);
                return (true, "");
            }
            // exec and gRPC probes would run something inside the container: not simulated, counted as passing.
            return (true, "");
        }
        catch (Exception e) when (e is HttpRequestException or SocketException or OperationCanceledException or ProbeException && !cancel.IsCancellationRequested)
        {
            return (false, e.Message);
        }
    }

    /// <summary>The container's loopback address; a probe host that is not loopback is never contacted.</summary>
    private IPAddress Host(string? host)
    {
        if (string.IsNullOrEmpty(host)) return _launch.Address;
        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip)
            ? ip
            : throw new ProbeException($"probe host {host} is not a loopback address; the simulator contacts nothing else");
    }

    private int Port(IntOrString port)
    {
        var text = port.Value;
        if (int.TryParse(text, out var number)) return number;
        return _spec.Ports?.FirstOrDefault(p => p.Name == text)?.ContainerPort
            ?? throw new ProbeException($"the container has no port named {text}");
    }

    private sealed class ProbeException(string message) : Exception(message);

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await _run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }
}
