using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace PacketCluster.Simulator.Boot.Pods;

/// <summary>What the pods of one node share: the node's client, images, addresses and where things go.</summary>
internal sealed record NodePodsContext(
    IKubernetes Client, string NodeName, ContainerImages Images, PodAddresses Addresses, IPAddress ContainerAddress,
    (string Host, int Port) ApiServer, MachineRoot? Root, Action<string> Say);

/// <summary>
/// One pod bound to this node, as the kubelet's pod worker handles it: containers started (a real process for the
/// manager's image, a simulated one for every other), status posted through pods/status whenever something changes,
/// and on deletion the containers stopped and the pod deleted for good (grace period 0, with its uid as precondition,
/// so a new pod of the same name is never touched). Finalizers are the API server's business: the pod stays until
/// they are gone.
/// </summary>
internal sealed class PodWorker : IAsyncDisposable
{
    /// <summary>How long a container that could not be configured (a missing Secret) waits before the kubelet tries again.</summary>
    private static readonly TimeSpan ConfigRetry = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan MaxGrace = TimeSpan.FromSeconds(30);

    private readonly NodePodsContext _node;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<bool> _statusWanted = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Lock _gate = new();
    private readonly List<Slot> _slots = [];
    private readonly Dictionary<string, (string Status, DateTime Since)> _conditions = [];
    private readonly List<Task> _background = [];
    private V1Pod _pod;
    private DateTime _startTime;
    private string _podIp = "";
    private bool _started;
    private bool _terminating;

    public PodWorker(NodePodsContext node, V1Pod pod)
    {
        _node = node;
        _pod = pod;
        _background.Add(Task.Run(() => StatusLoopAsync(_stop.Token)));
    }

    public string Uid => _pod.Metadata.Uid;
    public string Name => $"{_pod.Metadata.NamespaceProperty}/{_pod.Metadata.Name}";

    /// <summary>Set once the pod has been deleted for good by this worker: the caller drops it.</summary>
    public bool Removed { get; private set; }

    /// <summary>The log file of a container (real or simulated), or null when it has none yet.</summary>
    public string? LogPath(string container)
    {
        lock (_gate) return _slots.FirstOrDefault(s => s.Spec.Name == container)?.LogPath;
    }

    public IReadOnlyList<string> ContainerNames { get { lock (_gate) return _slots.Select(s => s.Spec.Name).ToList(); } }

    public V1Pod Pod { get { lock (_gate) return _pod; } }

    /// <summary>Takes the pod as the API has it now. Called by one caller at a time.</summary>
    public Task SyncAsync(V1Pod pod)
    {
        lock (_gate) _pod = pod;
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            if (_terminating) return Task.CompletedTask;
            _terminating = true;
            // In the background: stopping a real container takes up to its grace period, and the watch goes on meanwhile.
            _background.Add(Task.Run(() => TerminateAsync(pod, _stop.Token)));
            return Task.CompletedTask;
        }
        if (!_started)
        {
            _started = true;
            Start(pod);
        }
        return Task.CompletedTask;
    }

    private void Start(V1Pod pod)
    {
        _startTime = DateTime.UtcNow;
        _podIp = pod.Spec.HostNetwork == true ? _node.Addresses.HostIp : _node.Addresses.Allocate(Uid);
        var anyReal = false;
        foreach (var container in pod.Spec.Containers)
        {
            var slot = new Slot(container, Uid);
            lock (_gate) _slots.Add(slot);
            switch (_node.Images.Resolve(container.Image))
            {
                case ImageRun.Process image when _node.Root is not null:
                    anyReal = true;
                    slot.Waiting("ContainerCreating", null);
                    _background.Add(Task.Run(() => StartProcessAsync(slot, image, _stop.Token)));
                    break;
                case ImageRun.Process:
                    slot.Waiting("RunContainerError", "this machine has no file system for real containers");
                    break;
                case ImageRun.Unavailable unavailable:
                    anyReal = true;
                    slot.Waiting(unavailable.Reason, unavailable.Message);
                    _node.Say($"pod {Name}: container {container.Name} ({container.Image}) cannot run: {unavailable.Message}");
                    break;
                default:
                    slot.Simulate(_startTime, SimulatedLog(pod, container));
                    break;
            }
        }
        _node.Say($"pod {Name}: {(anyReal ? "starting" : "running (simulated)")} with IP {_podIp}");
        RequestStatus();
    }

    /// <summary>What <c>kubectl logs</c> shows for a simulated container: that it is one.</summary>
    private string? SimulatedLog(V1Pod pod, V1Container container)
    {
        if (_node.Root is null) return null;
        var path = new PodContext(Uid, _node.ApiServer, _node.ContainerAddress, _node.Addresses.HostIp, _podIp, _node.Root).LogPath(pod, container.Name);
        File.WriteAllText(path, $"{DateTime.UtcNow:yyyy-MM-ddTHH:mm:ss.fffZ} packetcluster-simulator: container {container.Name} (image {container.Image}) is simulated: " +
                                "it is reported running and ready, and nothing is executed. Only the PacketCluster manager's image runs for real.\n");
        return path;
    }

    private async Task StartProcessAsync(Slot slot, ImageRun.Process image, CancellationToken stopping)
    {
        var pod = Pod;
        var context = new PodContext(Uid, _node.ApiServer, _node.ContainerAddress, _node.Addresses.HostIp, _podIp, _node.Root!);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                var launch = await ContainerConfig.ResolveAsync(_node.Client, pod, slot.Spec, image, context, stopping);
                var process = new ProcessContainer(slot.Spec, launch, pod.Metadata.Name, pod.Spec.RestartPolicy, context.LogPath(pod, slot.Spec.Name), RequestStatus, _node.Say);
                lock (_gate)
                {
                    if (stopping.IsCancellationRequested) return;
                    slot.Run(process);
                }
                process.Start();
                return;
            }
            catch (ContainerConfigException e)
            {
                if (slot.Waiting(e.Reason, e.Message)) _node.Say($"pod {Name}: container {slot.Spec.Name}: {e.Reason}: {e.Message}");
                RequestStatus();
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or TaskCanceledException && !stopping.IsCancellationRequested)
            {
                slot.Waiting("ContainerCreating", null);
            }
            try { await Task.Delay(ConfigRetry, stopping); }
            catch (OperationCanceledException) { return; }
        }
    }

    private async Task TerminateAsync(V1Pod pod, CancellationToken stopping)
    {
        var grace = TimeSpan.FromSeconds(Math.Max(0, pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30));
        _node.Say($"pod {Name}: deleted; stopping its containers (grace {grace.TotalSeconds:F0} s)");
        await StopContainersAsync(grace < MaxGrace ? grace : MaxGrace);
        try
        {
            await _node.Client.CoreV1.DeleteNamespacedPodAsync(pod.Metadata.Name, pod.Metadata.NamespaceProperty,
                new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = Uid } }, cancellationToken: stopping);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // Gone already, or a new pod of the same name: not ours to delete.
        }
        Removed = true;
    }

    private async Task StopContainersAsync(TimeSpan bound)
    {
        List<ProcessContainer> processes;
        lock (_gate) processes = _slots.Select(s => s.Process).OfType<ProcessContainer>().ToList();
        var stopping = Task.WhenAll(processes.Select(p => p.DisposeAsync().AsTask()));
        await Task.WhenAny(stopping, Task.Delay(bound + TimeSpan.FromSeconds(10)));
    }

    private void RequestStatus() => _statusWanted.Writer.TryWrite(true);

    /// <summary>Posts the status each time something changed (coalesced); a failed post is retried a few times, then waits for the next change.</summary>
    private async Task StatusLoopAsync(CancellationToken stopping)
    {
        try
        {
            while (await _statusWanted.Reader.WaitToReadAsync(stopping))
            {
                _statusWanted.Reader.TryRead(out _);
                for (var attempt = 1; attempt <= 5 && !stopping.IsCancellationRequested; attempt++)
                {
                    try
                    {
                        await PostStatusAsync(stopping);
                        break;
                    }
                    catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
                    {
                        return; // The pod is gone.
                    }
                    catch (Exception e) when (e is HttpOperationException or HttpRequestException or TaskCanceledException && !stopping.IsCancellationRequested)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(attempt), stopping);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    private async Task PostStatusAsync(CancellationToken stopping)
    {
        V1PodStatus status;
        V1Pod pod;
        lock (_gate)
        {
            pod = _pod;
            if (_terminating) return;
            status = BuildStatus(pod);
        }
        var patch = new JsonObject { ["status"] = JsonNode.Parse(KubernetesJson.Serialize(status)) };
        await _node.Client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(patch.ToJsonString(), V1Patch.PatchType.MergePatch),
            pod.Metadata.Name, pod.Metadata.NamespaceProperty, cancellationToken: stopping);
    }

    private V1PodStatus BuildStatus(V1Pod pod)
    {
        var now = DateTime.UtcNow;
        var statuses = _slots.Select(s => s.Status()).ToList();
        var allReady = statuses.Count > 0 && statuses.All(s => s.Ready);
        var processes = _slots.Select(s => s.Process).OfType<ProcessContainer>().ToList();
        var finished = processes.Count == _slots.Count && processes.All(p => p.Finished);
        var phase = finished ? (processes.All(p => p.ExitCode == 0) ? "Succeeded" : "Failed")
            : statuses.Any(s => s.State?.Running is not null) ? "Running" : "Pending";
        var scheduled = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
        return new V1PodStatus
        {
            Phase = phase,
            HostIP = _node.Addresses.HostIp,
            PodIP = _podIp,
            PodIPs = [new V1PodIP { Ip = _podIp }],
            StartTime = _startTime,
            QosClass = pod.Status?.QosClass,
            Conditions =
            [
                Condition("Initialized", "True", now),
                Condition("Ready", allReady ? "True" : "False", now, allReady ? null : "ContainersNotReady"),
                Condition("ContainersReady", allReady ? "True" : "False", now, allReady ? null : "ContainersNotReady"),
                scheduled ?? Condition("PodScheduled", "True", now),
            ],
            ContainerStatuses = statuses,
            InitContainerStatuses = pod.Spec.InitContainers?.Select(c => new V1ContainerStatus
            {
                Name = c.Name, Image = c.Image, ImageID = Slot.SimulatedImageId(c.Image), ContainerID = Slot.SimulatedContainerId(Uid, c.Name),
                Ready = true, RestartCount = 0,
                State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 0, Reason = "Completed", StartedAt = _startTime, FinishedAt = _startTime } },
            }).ToList(),
        };
    }

    private V1PodCondition Condition(string type, string status, DateTime now, string? reason = null)
    {
        if (!_conditions.TryGetValue(type, out var known) || known.Status != status)
            _conditions[type] = known = (status, now);
        return new V1PodCondition { Type = type, Status = status, LastTransitionTime = known.Since, Reason = reason };
    }

    /// <summary>Stops every container (the device stops or the kubelet goes): bounded, no API calls.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        await StopContainersAsync(TimeSpan.FromSeconds(10));
        await Task.WhenAll(_background).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _node.Addresses.Release(Uid);
        _stop.Dispose();
    }

    /// <summary>One container of the pod: simulated, waiting, or a real process.</summary>
    private sealed class Slot(V1Container spec, string podUid)
    {
        private readonly Lock _gate = new();
        private V1ContainerState _state = new() { Waiting = new V1ContainerStateWaiting { Reason = "ContainerCreating" } };
        private bool _simulated;

        public V1Container Spec { get; } = spec;
        public ProcessContainer? Process { get; private set; }
        public string? LogPath { get; private set; }

        public void Simulate(DateTime startedAt, string? logPath)
        {
            lock (_gate)
            {
                _simulated = true;
                LogPath = logPath;
                _state = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = startedAt } };
            }
        }

        /// <returns>True when the reason or message changed (worth a console line).</returns>
        public bool Waiting(string reason, string? message)
        {
            lock (_gate)
            {
                var changed = _state.Waiting?.Reason != reason || _state.Waiting?.Message != message;
                _state = new V1ContainerState { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = message } };
                return changed;
            }
        }

        public void Run(ProcessContainer process)
        {
            Process = process;
            LogPath = process.LogPath;
        }

        public V1ContainerStatus Status()
        {
            if (Process is { } process) return process.Status();
            lock (_gate)
            {
                return new V1ContainerStatus
                {
                    Name = Spec.Name,
                    Image = Spec.Image,
                    // The marker of a simulated container (the kubelet may write only a pod's status, not its labels).
                    ImageID = _simulated ? SimulatedImageId(Spec.Image) : "",
                    ContainerID = _simulated ? SimulatedContainerId(podUid, Spec.Name) : null,
                    Ready = _simulated,
                    Started = _simulated,
                    RestartCount = 0,
                    State = _state,
                };
            }
        }

        public static string SimulatedImageId(string? image) =>
            $"simulated://{image}@sha256:{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(image ?? "")))}";

        public static string SimulatedContainerId(string podUid, string container) =>
            $"simulated://{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{podUid}/{container}")))}";
    }
}
