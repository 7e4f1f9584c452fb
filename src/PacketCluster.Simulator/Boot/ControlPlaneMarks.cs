using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace PacketCluster.Simulator.Boot;

/// <summary>
/// kubeadm 1.20's mark-control-plane phase: once the control plane's kubelet has registered its Node (with the
/// <c>node-role.kubernetes.io/master:NoSchedule</c> taint it registers with), the admin credentials add the role labels
/// <c>node-role.kubernetes.io/master</c> and <c>node-role.kubernetes.io/control-plane</c>. Bounded to a minute.
/// </summary>
internal static class ControlPlaneMarks
{
    public const string MasterRole = "node-role.kubernetes.io/master";
    public const string ControlPlaneRole = "node-role.kubernetes.io/control-plane";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(500);

    public static async Task ApplyAsync(string adminKubeconfig, string nodeName, IConsoleLog console, CancellationToken cancel)
    {
        try
        {
            using var client = new Kubernetes(await KubernetesClientConfiguration.BuildConfigFromConfigFileAsync(new FileInfo(adminKubeconfig)));
            var deadline = DateTimeOffset.UtcNow + Bound;
            var labels = new Dictionary<string, string> { [MasterRole] = "", [ControlPlaneRole] = "" };
            var patch = new V1Patch(KubernetesJson.Serialize(new { metadata = new { labels } }), V1Patch.PatchType.MergePatch);
            while (true)
            {
                try
                {
                    await client.CoreV1.PatchNodeAsync(patch, nodeName, cancellationToken: cancel);
                    console.WriteLine($"[mark-control-plane] Marking the node {nodeName} as control-plane by adding the labels \"{MasterRole}=''\" and \"{ControlPlaneRole}=''\" (the taint {MasterRole}:NoSchedule came with its registration)");
                    return;
                }
                catch (Exception e) when (e is HttpOperationException or HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested && DateTimeOffset.UtcNow < deadline)
                {
                    await Task.Delay(Retry, cancel); // The Node is not registered yet, or the API server is busy.
                }
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The device stopped.
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or TaskCanceledException or IOException)
        {
            var detail = e is HttpOperationException { Response.StatusCode: var code } ? $"HTTP {(int)code}" : e.Message;
            console.WriteLine($"[mark-control-plane] could not label node {nodeName} within {Bound.TotalSeconds:F0} s: {detail}");
        }
    }
}
