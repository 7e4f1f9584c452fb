using System.Text;
using PacketCluster.Engine.Controllers;
using PacketCluster.Engine.Pki;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Simulator.Tests.Controllers;

/// <summary>The Cluster reconciler on its own: a user-supplied CA, and the endpoint reserved exactly once.</summary>
public sealed class ClusterReconcilerIntegrationTests : IAsyncLifetime
{
    private ControllerTestBed _bed = null!;
    private static readonly CancellationToken None = CancellationToken.None;

    public async Task InitializeAsync() => _bed = await ControllerTestBed.StartAsync();
    public async Task DisposeAsync() => await _bed.DisposeAsync();

    [Fact]
    public async Task A_user_CA_given_as_base64_of_PEM_is_imported_into_the_Secret_and_blanked_out_of_the_spec()
    {
        var ca = CertificateAuthority.Generate(ControllerTestBed.ClusterName);
        await _bed.CreateClusterAsync(workers: 0, storedPki: false);
        var cluster = (await _bed.Store.GetAsync<Cluster>(ControllerTestBed.Ns, ControllerTestBed.ClusterName, None))!;
        cluster.Spec.ProviderSpec!.Value!.CaKeyPair = new KeyPair
        {
            // The seed's []byte fields: base64 of PEM, once (the seed double-encoded).
            Cert = Convert.ToBase64String(Encoding.UTF8.GetBytes(ca.CertificatePem)),
            Key = Convert.ToBase64String(Encoding.UTF8.GetBytes(ca.PrivateKeyPem)),
        };
        await _bed.Store.UpdateAsync(cluster, None);

        await _bed.Clusters.ReconcileAsync(ControllerTestBed.Ns, ControllerTestBed.ClusterName, None);

        var secret = (await _bed.Store.GetSecretAsync(ControllerTestBed.Ns, ClusterSecrets.ClusterCa(ControllerTestBed.ClusterName), None))!;
        Assert.Equal(ca.CertificatePem, ClusterSecrets.Value(secret, ClusterSecrets.CertificateKey));
        cluster = (await _bed.Store.GetAsync<Cluster>(ControllerTestBed.Ns, ControllerTestBed.ClusterName, None))!;
        Assert.Null(cluster.Spec.ProviderSpec!.Value!.CaKeyPair);
        Assert.Contains(Finalizers.Cluster, cluster.Metadata.Finalizers!);
        Assert.Equal(Phases.Provisioned, cluster.Status!.Phase);
        Assert.Contains(cluster.Status.Conditions!, c => c.Type == Conditions.CertificatesReady && c.Status == "True");
    }

    [Fact]
    public async Task A_lost_endpoint_status_finds_the_reservation_by_tag_instead_of_reserving_again()
    {
        await _bed.CreateClusterAsync(workers: 0);
        await _bed.Clusters.ReconcileAsync(ControllerTestBed.Ns, ControllerTestBed.ClusterName, None);
        var cluster = (await _bed.Store.GetAsync<Cluster>(ControllerTestBed.Ns, ControllerTestBed.ClusterName, None))!;
        var address = cluster.Status!.ApiEndpoints![0].Host;

        cluster.Status.ApiEndpoints = null; // as if the status write after the reservation was lost
        await _bed.Store.UpdateStatusAsync(cluster, None);
        await _bed.Clusters.ReconcileAsync(ControllerTestBed.Ns, ControllerTestBed.ClusterName, None);

        var reservation = Assert.Single(await _bed.ClusterReservationsAsync());
        Assert.Equal(address, reservation.Address);
        cluster = (await _bed.Store.GetAsync<Cluster>(ControllerTestBed.Ns, ControllerTestBed.ClusterName, None))!;
        Assert.Equal(address, cluster.Status!.ApiEndpoints![0].Host);
    }
}
