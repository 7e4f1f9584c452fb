using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Utilities;
using PacketCluster.Engine;
using PacketCluster.Engine.Operations;
using PacketCluster.Engine.Store;
using Xunit;

namespace PacketCluster.Simulator.Tests.Operations;

/// <summary>
/// Two New-PacketCluster runs at once for the same name, each with its own generated SSH key (the quick form): the
/// private key left in the state folder is always the one the recorded machines carry. The key used to be written
/// before the state lock, and 1 try in 6 left a key that matched no device.
/// </summary>
public sealed class CreateRaceTests : IAsyncLifetime
{
    private OperationsSimulator _operations = null!;
    private string _root = null!;

    public async Task InitializeAsync()
    {
        _operations = await OperationsSimulator.StartAsync(41, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(50));
        _root = Directory.CreateTempSubdirectory("pc-race-").FullName;
    }

    public async Task DisposeAsync()
    {
        await _operations.Host.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    private CreateClusterRequest Request(string name)
    {
        var generated = _operations.Generate(name, workers: 1, sshPublicKey: null);
        Assert.NotNull(generated.GeneratedSshKey);
        return new CreateClusterRequest
        {
            Config = generated.Config, StateRoot = _root, GeneratedSshPrivateKeyPem = generated.GeneratedSshKey!.PrivateKeyPem,
            Wait = new ChangeWait(false, TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(100)),
        };
    }

    /// <summary>The authorized_keys blob of an OpenSSH Ed25519 private key file.</summary>
    private static string PublicBlobOf(string privateKeyPem)
    {
        var base64 = string.Concat(privateKeyPem.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal)));
        var key = (Ed25519PrivateKeyParameters)OpenSshPrivateKeyUtilities.ParsePrivateKeyBlob(Convert.FromBase64String(base64));
        return Convert.ToBase64String(OpenSshPublicKeyUtilities.EncodePublicKey(key.GeneratePublicKey()));
    }

    [Fact]
    public async Task The_kept_private_key_is_always_the_one_the_recorded_machines_carry()
    {
        for (var attempt = 0; attempt < 6; attempt++)
        {
            var name = $"race{attempt}";
            var runs = new[] { Request(name), Request(name) }
                .Select(r => Task.Run(() => ClusterOperations.CreateAsync(r, _operations.Session, NullEngineLog.Instance, default))).ToArray();
            try { await Task.WhenAll(runs); }
            catch (PacketClusterException e) when (e.ErrorId == ClusterStateLock.LockedErrorId) { } // the loser met the lock: nothing of it was written
            Assert.Contains(runs, r => r.IsCompletedSuccessfully);

            var directory = StateLocation.ClusterDirectory(_root, name);
            var keyFile = Path.Combine(directory, ClusterConfigGenerator.SshKeyFileName);
            var kept = PublicBlobOf(await File.ReadAllTextAsync(keyFile));
            foreach (var machine in await ClusterQueries.GetMachinesAsync(_root, name, default))
                Assert.Equal(kept, machine.Spec.ProviderSpec!.Value!.SshKeys!.Single().Split(' ')[1]);
            if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }
    }
}
