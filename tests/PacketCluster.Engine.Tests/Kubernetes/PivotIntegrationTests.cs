using k8s;
using k8s.Models;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;
using PacketCluster.Engine.Tests.Manifests;
using PacketCluster.Engine.Tests.Pki;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Kubernetes;

/// <summary>Pivot from the embedded FileStore to the real API server: everything moves, identities survive, the source empties.</summary>
[Collection(KubeControlPlaneCollection.Name)]
public sealed class PivotIntegrationTests(KubeControlPlane controlPlane) : IAsyncLifetime
{
    private const string Name = "pivot";
    private readonly string _ns = $"pivot-{Guid.NewGuid():N}"[..18];
    private readonly IKubernetes _admin = controlPlane.CreateClient();
    private readonly TempDirectory _temp = new("pivot");

    public Task InitializeAsync()
    {
        new Kubectl(controlPlane).EnsureCustomResourceDefinitions();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        try { await _admin.CoreV1.DeleteNamespaceAsync(_ns); } catch (k8s.Autorest.HttpOperationException) { }
        _admin.Dispose();
        _temp.Dispose();
    }

    private Dictionary<string, string> Labels => new() { [ClusterValidation.ClusterNameLabel] = Name };

    /// <summary>The identity the create recorded; its devices carry it, so it must survive the move.</summary>
    private const string ClusterUid = "5b7d3c1e-8f2a-4e6b-9c0d-1a2b3c4d5e6f";

    /// <summary>A provisioned 1+2 cluster as the embedded store holds it: owner chain, identities, statuses, Secrets.</summary>
    private async Task<FileStore> SourceAsync()
    {
        var store = FileStore.Open(Path.Combine(_temp.Path, Name));
        var cluster = await store.CreateAsync(new Cluster
        {
            Metadata = new ObjectMeta
            {
                Name = Name, Namespace = _ns, Labels = Labels, Finalizers = ["cluster.cluster.k8s.io"],
                Annotations = new() { [ClusterIdentity.UidAnnotation] = ClusterUid },
            },
        }, default);
        cluster.Status = new ClusterStatus { ApiEndpoints = [new ApiEndpoint { Host = "127.60.0.1", Port = 6443 }], Phase = "Provisioned" };
        cluster = await store.UpdateStatusAsync(cluster, default);
        await store.CreateSecretAsync(ClusterSecrets.CaSecret(ClusterSecrets.ClusterCa(Name), cluster, controlPlane.Pki.ClusterCa), default);
        var deployment = await store.CreateAsync(new MachineDeployment
        {
            Metadata = new ObjectMeta { Name = $"{Name}-workers", Namespace = _ns, Labels = Labels },
            Spec = new MachineDeploymentSpec { Replicas = 2, Selector = new LabelSelector { MatchLabels = new() { ["pool"] = "w" } }, Template = new MachineTemplateSpec { Metadata = new ObjectMeta { Labels = new() { ["pool"] = "w" } }, Spec = new MachineSpec() } },
        }, default);
        var set = await store.CreateAsync(new MachineSet
        {
            Metadata = new ObjectMeta { Name = $"{Name}-workers-abc", Namespace = _ns, Labels = Labels, OwnerReferences = [Owner(deployment)] },
            Spec = new MachineSetSpec { Replicas = 2, Selector = new LabelSelector { MatchLabels = new() { ["pool"] = "w" } }, Template = new MachineTemplateSpec { Metadata = new ObjectMeta { Labels = new() { ["pool"] = "w" } }, Spec = new MachineSpec() } },
        }, default);
        for (var i = 0; i < 3; i++)
        {
            var controlPlaneMachine = i == 0;
            var machine = await store.CreateAsync(new Machine
            {
                Metadata = new ObjectMeta
                {
                    Name = controlPlaneMachine ? $"{Name}-control-plane-0" : $"{Name}-workers-abc-{i}", Namespace = _ns,
                    Labels = controlPlaneMachine ? Labels : new(Labels) { ["pool"] = "w" },
                    Annotations = new() { [MachineScope.MachineUidAnnotation] = $"uid-{i}" },
                    Finalizers = ["machine.cluster.k8s.io"],
                    OwnerReferences = controlPlaneMachine ? null : [Owner(set)],
                },
                Spec = new MachineSpec { ProviderID = $"packet://device-{i}" },
            }, default);
            machine.Status = new MachineStatus { Phase = "Provisioned" };
            machine = await store.UpdateStatusAsync(machine, default);
            await store.CreateSecretAsync(ClusterSecrets.TokenSecret(ClusterSecrets.BootstrapToken(machine.Name), machine, PacketCluster.Engine.Pki.BootstrapToken.Generate()), default);
        }
        var check = HealthCheckRules.New(Name, $"{Name}-workers", _ns, new() { ["pool"] = "w" }, TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10), "40%");
        check = await store.CreateAsync(check, default);
        check.Status = new MachineHealthCheckStatus { ExpectedMachines = 2, CurrentHealthy = 2, Remediations = 1 };
        await store.UpdateStatusAsync(check, default);
        return store;
    }

    private static OwnerReference Owner(ResourceObject owner) =>
        new() { ApiVersion = ResourceObject.ClusterApiVersion, Kind = owner.Kind, Name = owner.Name, Uid = owner.Metadata.Uid, Controller = true };

    [Fact]
    public async Task Everything_moves_with_owners_remapped_and_identities_kept_and_a_rerun_after_a_failure_completes()
    {
        await using var source = await SourceAsync();
        using var target = new KubernetesStore(controlPlane.CreateClient(), ownsClient: true);

        var plan = await PivotOperation.PlanAsync(source, _ns, Name, default);
        Assert.Equal(1 + 1 + 1 + 3 + 1 + 4, plan.Objects.Count);
        Assert.Contains($"MachineHealthCheck {_ns}/{Name}-workers", plan.Objects);
        Assert.Contains($"Secret {_ns}/{Name}-ca", plan.Objects);

        // A failure after the copy, before the source is emptied: the source stays whole and paused.
        var crash = await Assert.ThrowsAsync<IOException>(() => PivotOperation.RunAsync(source, _ns, Name, target, null, NullEngineLog.Instance, default,
            beforeSourceRemoval: _ => throw new IOException("simulated crash")));
        Assert.True(ClusterReconcileLoop.IsPaused(await source.GetAsync<Cluster>(_ns, Name, default)));
        Assert.Equal(3, (await source.ListAsync<Machine>(_ns, null, default)).Count);

        var report = await PivotOperation.RunAsync(source, _ns, Name, target, null, NullEngineLog.Instance, default);
        Assert.Empty(report.Copied); // the first run had copied everything
        Assert.Equal(plan.Objects.Count, report.RemovedFromSource.Count);

        // The source is empty; nothing there is left marked for deletion.
        Assert.Null(await source.GetAsync<Cluster>(_ns, Name, default));
        Assert.Empty(await source.ListAsync<Machine>(_ns, null, default));
        Assert.Empty(await source.ListSecretsAsync(_ns, default));

        // The target holds everything, unpaused, with statuses, identities and remapped owners.
        var cluster = (await target.GetAsync<Cluster>(_ns, Name, default))!;
        Assert.False(ClusterReconcileLoop.IsPaused(cluster));
        Assert.Equal(ClusterUid, ClusterIdentity.Of(cluster).Uid); // the pivoted cluster keeps its identity, so its devices stay its own
        Assert.Equal("127.60.0.1", cluster.Status!.ApiEndpoints![0].Host);
        var deployment = (await target.GetAsync<MachineDeployment>(_ns, $"{Name}-workers", default))!;
        var set = (await target.GetAsync<MachineSet>(_ns, $"{Name}-workers-abc", default))!;
        Assert.Equal(deployment.Metadata.Uid, Assert.Single(set.Metadata.OwnerReferences!).Uid);
        var machines = await target.ListAsync<Machine>(_ns, null, default);
        Assert.Equal(3, machines.Count);
        Assert.All(machines, m =>
        {
            Assert.Equal("Provisioned", m.Status!.Phase);
            Assert.Equal($"packet://device-{m.Metadata.Annotations![MachineScope.MachineUidAnnotation][^1]}", m.Spec.ProviderID);
            Assert.Equal(["machine.cluster.k8s.io"], m.Metadata.Finalizers!);
        });
        Assert.All(machines.Where(m => m.Metadata.OwnerReferences is not null), m => Assert.Equal(set.Metadata.Uid, m.Metadata.OwnerReferences![0].Uid));
        var check = (await target.GetAsync<MachineHealthCheck>(_ns, $"{Name}-workers", default))!;
        Assert.Equal(("40%", 1), (check.MaxUnhealthy, check.Remediations)); // spec and status, so its count and backoffs carry over
        Assert.Empty(await source.ListAsync<MachineHealthCheck>(_ns, null, default));
        var token = (await _admin.CoreV1.ReadNamespacedSecretAsync(ClusterSecrets.BootstrapToken($"{Name}-control-plane-0"), _ns));
        Assert.Equal(machines.Single(m => m.Name == $"{Name}-control-plane-0").Metadata.Uid, token.Metadata.OwnerReferences.Single().Uid);
        var ca = await _admin.CoreV1.ReadNamespacedSecretAsync($"{Name}-ca", _ns);
        Assert.Equal(controlPlane.Pki.ClusterCa.CertificatePem, System.Text.Encoding.UTF8.GetString(ca.Data[ClusterSecrets.CertificateKey]));
        Assert.Equal(ClusterUid, ca.Metadata.Annotations[ClusterIdentity.UidAnnotation]);

        // Running it once more is a no-op.
        var again = await PivotOperation.RunAsync(source, _ns, Name, target, null, NullEngineLog.Instance, default);
        Assert.Empty(again.Copied);
    }
}
