using System.Text;
using k8s;
using k8s.Models;
using PacketCluster.Engine.Api;
using PacketCluster.Engine.Store;
using PacketCluster.Engine.Tests.Pki;
using PacketCluster.Models.ClusterApi;
using Xunit;

namespace PacketCluster.Engine.Tests.Store;

public sealed class FileStoreTests : IDisposable
{
    private const string Ns = "default";
    private readonly TempDirectory _temp = new("store");
    private readonly CancellationToken _ct = CancellationToken.None;

    private string ClusterDir => Path.Combine(_temp.Path, "demo");

    public void Dispose() => _temp.Dispose();

    private static Cluster NewCluster(string name = "demo") => new()
    {
        Metadata = { Name = name, Namespace = Ns, Labels = new() { ["cluster"] = name } },
        Spec = new ClusterSpec
        {
            ClusterNetwork = new ClusterNetworkingConfig
            {
                Pods = new NetworkRanges { CidrBlocks = ["192.168.0.0/16"] },
                Services = new NetworkRanges { CidrBlocks = ["10.96.0.0/12"] },
                ServiceDomain = "cluster.local",
            },
            ProviderSpec = new ClusterProviderSpec { Value = new PacketClusterProviderSpec { ProjectID = "1234", Metro = "sv" } },
        },
    };

    private static Machine NewMachine(string name, string role = "worker", Dictionary<string, string>? labels = null) => new()
    {
        Metadata = { Name = name, Namespace = Ns, Labels = labels ?? new() { ["set"] = "workers", ["role"] = role } },
        Spec = new MachineSpec
        {
            Versions = new MachineVersionInfo { Kubelet = "1.33.1" },
            ProviderSpec = new MachineProviderSpec { Value = new PacketMachineProviderSpec { OS = "ubuntu_24_04", MachineType = "c3.small.x86", Metro = "sv" } },
        },
    };

    private static MachineSet NewMachineSet(string name) => new()
    {
        Metadata = { Name = name, Namespace = Ns },
        Spec = new MachineSetSpec
        {
            Replicas = 3,
            Selector = new LabelSelector { MatchLabels = new() { ["set"] = name } },
            Template = new MachineTemplateSpec { Metadata = new ObjectMeta { Labels = new() { ["set"] = name } }, Spec = new MachineSpec { Versions = new MachineVersionInfo { Kubelet = "1.33.1" } } },
        },
    };

    private static MachineDeployment NewMachineDeployment(string name) => new()
    {
        Metadata = { Name = name, Namespace = Ns },
        Spec = new MachineDeploymentSpec
        {
            Replicas = 2,
            Selector = new LabelSelector { MatchLabels = new() { ["deployment"] = name } },
            Strategy = new MachineDeploymentStrategy { Type = "RollingUpdate", RollingUpdate = new MachineRollingUpdateDeployment { MaxSurge = "1", MaxUnavailable = "0" } },
            Template = new MachineTemplateSpec { Metadata = new ObjectMeta { Labels = new() { ["deployment"] = name } }, Spec = new MachineSpec() },
        },
    };

    private static string SpecJson(object value) => ResourceCodec.ToNode(value)!["spec"]!.ToJsonString();

    private static async Task AssertRoundTrip<T>(FileStore store, T original, string folder) where T : ResourceObject, new()
    {
        var created = await store.CreateAsync(original, CancellationToken.None);
        Assert.Equal(SpecJson(original), SpecJson(created));
        var read = await store.GetAsync<T>(Ns, original.Name, CancellationToken.None);
        Assert.NotNull(read);
        Assert.Equal(ResourceCodec.ToJson(created), ResourceCodec.ToJson(read!));
        Assert.True(File.Exists(Path.Combine(store.ClusterDirectory, folder, Ns, original.Name + ".yaml")));
        Assert.Single(await store.ListAsync<T>(Ns, null, CancellationToken.None));

        await store.DeleteAsync<T>(Ns, original.Name, CancellationToken.None);
        Assert.Null(await store.GetAsync<T>(Ns, original.Name, CancellationToken.None));
        Assert.Empty(await store.ListAsync<T>(Ns, null, CancellationToken.None));
    }

    [Fact]
    public async Task Crud_round_trips_every_kind_in_its_own_folder()
    {
        await using var store = FileStore.Open(ClusterDir);
        await AssertRoundTrip(store, NewCluster(), "clusters");
        await AssertRoundTrip(store, NewMachine("worker-1"), "machines");
        await AssertRoundTrip(store, NewMachineSet("workers"), "machinesets");
        await AssertRoundTrip(store, NewMachineDeployment("pool"), "machinedeployments");
    }

    [Fact]
    public async Task Files_are_the_codec_yaml_the_user_would_write()
    {
        await using var store = FileStore.Open(ClusterDir);
        await store.CreateAsync(NewCluster(), _ct);
        var text = File.ReadAllText(Path.Combine(ClusterDir, "clusters", Ns, "demo.yaml"));
        Assert.StartsWith("apiVersion: cluster.k8s.io/v1alpha1\nkind: Cluster\nmetadata:\n", text);
        var parsed = ResourceCodec.Deserialize<Cluster>(YamlJsonBridge.Parse(text, "demo.yaml").Single());
        Assert.Equal("sv", parsed.Spec.ProviderSpec!.Value!.Metro);
    }

    [Fact]
    public async Task Create_assigns_uid_resource_version_timestamp_and_generation_one()
    {
        await using var store = FileStore.Open(ClusterDir);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var input = NewMachine("m1");
        input.Metadata.Uid = "caller-made-up";
        input.Metadata.ResourceVersion = "999";
        input.Metadata.Generation = 7;
        var created = await store.CreateAsync(input, _ct);

        Assert.True(Guid.TryParse(created.Metadata.Uid, out _));
        Assert.NotEqual("caller-made-up", created.Metadata.Uid);
        Assert.Equal(1, created.Metadata.Generation);
        Assert.Equal(TimeSpan.Zero, created.Metadata.CreationTimestamp!.Value.Offset);
        Assert.InRange(created.Metadata.CreationTimestamp.Value, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Null(created.Metadata.DeletionTimestamp);

        var second = await store.CreateAsync(NewMachine("m2"), _ct);
        Assert.True(long.Parse(second.Metadata.ResourceVersion!) > long.Parse(created.Metadata.ResourceVersion!));
        Assert.NotEqual(created.Metadata.Uid, second.Metadata.Uid);
    }

    [Fact]
    public async Task Create_of_an_existing_name_is_ObjectExists()
    {
        await using var store = FileStore.Open(ClusterDir);
        await store.CreateAsync(NewMachine("m1"), _ct);
        var error = await Assert.ThrowsAsync<StoreConflictException>(() => store.CreateAsync(NewMachine("m1"), _ct));
        Assert.Equal("ObjectExists", error.ErrorId);
        Assert.Equal(ErrorKind.ResourceExists, error.Kind);
    }

    [Fact]
    public async Task Create_ignores_status_as_the_status_subresource_does()
    {
        await using var store = FileStore.Open(ClusterDir);
        var input = NewMachine("m1");
        input.Status = new MachineStatus { Phase = "Running" };
        var created = await store.CreateAsync(input, _ct);
        Assert.Null(created.Status);
        Assert.Null((await store.GetAsync<Machine>(Ns, "m1", _ct))!.Status);
    }

    [Fact]
    public async Task Update_with_a_stale_resource_version_is_ObjectModified()
    {
        await using var store = FileStore.Open(ClusterDir);
        var created = await store.CreateAsync(NewMachine("m1"), _ct);
        var first = await store.GetAsync<Machine>(Ns, "m1", _ct);
        var second = await store.GetAsync<Machine>(Ns, "m1", _ct);

        first!.Spec.Versions!.Kubelet = "1.33.2";
        await store.UpdateAsync(first, _ct);
        second!.Spec.Versions!.Kubelet = "1.33.3";
        var error = await Assert.ThrowsAsync<StoreConflictException>(() => store.UpdateAsync(second, _ct));
        Assert.Equal("ObjectModified", error.ErrorId);

        var statusError = await Assert.ThrowsAsync<StoreConflictException>(() => store.UpdateStatusAsync(created, _ct));
        Assert.Equal("ObjectModified", statusError.ErrorId);
        Assert.Equal("1.33.2", (await store.GetAsync<Machine>(Ns, "m1", _ct))!.Spec.Versions!.Kubelet);
    }

    [Fact]
    public async Task Update_without_a_resource_version_is_ObjectModified()
    {
        await using var store = FileStore.Open(ClusterDir);
        await store.CreateAsync(NewMachine("m1"), _ct);
        var error = await Assert.ThrowsAsync<StoreConflictException>(() => store.UpdateAsync(NewMachine("m1"), _ct));
        Assert.Equal("ObjectModified", error.ErrorId);
    }

    [Fact]
    public async Task Update_of_a_missing_object_is_ObjectNotFound()
    {
        await using var store = FileStore.Open(ClusterDir);
        var error = await Assert.ThrowsAsync<PacketClusterException>(() => store.UpdateAsync(NewMachine("ghost"), _ct));
        Assert.Equal("ObjectNotFound", error.ErrorId);
        Assert.Equal(ErrorKind.ObjectNotFound, error.Kind);
    }

    [Fact]
    public async Task Update_bumps_generation_only_when_spec_changes()
    {
        await using var store = FileStore.Open(ClusterDir);
        var created = await store.CreateAsync(NewMachine("m1"), _ct);

        created.Metadata.Labels!["extra"] = "yes";
        var relabelled = await store.UpdateAsync(created, _ct);
        Assert.Equal(1, relabelled.Metadata.Generation);
        Assert.NotEqual(created.Metadata.ResourceVersion, relabelled.Metadata.ResourceVersion);

        relabelled.Spec.ProviderID = "equinixmetal://abc";
        var respecced = await store.UpdateAsync(relabelled, _ct);
        Assert.Equal(2, respecced.Metadata.Generation);
        Assert.Equal(created.Metadata.Uid, respecced.Metadata.Uid);
        Assert.Equal(created.Metadata.CreationTimestamp, respecced.Metadata.CreationTimestamp);
    }

    [Fact]
    public async Task Update_that_changes_nothing_keeps_the_resource_version()
    {
        await using var store = FileStore.Open(ClusterDir);
        var created = await store.CreateAsync(NewMachine("m1"), _ct);
        var same = await store.UpdateAsync(created, _ct);
        Assert.Equal(created.Metadata.ResourceVersion, same.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Update_keeps_the_stored_status_and_UpdateStatus_keeps_the_stored_spec()
    {
        await using var store = FileStore.Open(ClusterDir);
        var created = await store.CreateAsync(NewMachine("m1"), _ct);
        created.Status = new MachineStatus { Phase = "Provisioning" };
        var withStatus = await store.UpdateStatusAsync(created, _ct);
        Assert.Equal("Provisioning", withStatus.Status!.Phase);
        Assert.Equal(1, withStatus.Metadata.Generation);

        // Update: a changed status in the request is ignored.
        withStatus.Status!.Phase = "Failed";
        withStatus.Spec.ProviderID = "equinixmetal://abc";
        var updated = await store.UpdateAsync(withStatus, _ct);
        Assert.Equal("Provisioning", updated.Status!.Phase);
        Assert.Equal("equinixmetal://abc", updated.Spec.ProviderID);

        // UpdateStatus: changed spec, labels and finalizers in the request are ignored.
        updated.Spec.ProviderID = "equinixmetal://other";
        updated.Metadata.Labels!["sneaky"] = "yes";
        updated.Metadata.Finalizers = ["sneaky"];
        updated.Status!.Phase = "Running";
        var statusUpdated = await store.UpdateStatusAsync(updated, _ct);
        Assert.Equal("Running", statusUpdated.Status!.Phase);
        Assert.Equal("equinixmetal://abc", statusUpdated.Spec.ProviderID);
        Assert.False(statusUpdated.Metadata.Labels!.ContainsKey("sneaky"));
        Assert.Null(statusUpdated.Metadata.Finalizers);
        Assert.Equal(2, statusUpdated.Metadata.Generation);

        var stored = await store.GetAsync<Machine>(Ns, "m1", _ct);
        Assert.Equal(ResourceCodec.ToJson(statusUpdated), ResourceCodec.ToJson(stored!));
    }

    [Fact]
    public async Task Delete_with_finalizers_marks_the_object_and_the_last_finalizer_removes_it()
    {
        await using var store = FileStore.Open(ClusterDir);
        var input = NewMachine("m1");
        input.Metadata.Finalizers = ["machine.cluster.k8s.io", "other"];
        await store.CreateAsync(input, _ct);

        await store.DeleteAsync<Machine>(Ns, "m1", _ct);
        var deleting = await store.GetAsync<Machine>(Ns, "m1", _ct);
        Assert.NotNull(deleting!.Metadata.DeletionTimestamp);
        Assert.Equal(2, deleting.Metadata.Generation);
        var stamp = deleting.Metadata.DeletionTimestamp;

        // A second delete does not move the timestamp.
        await store.DeleteAsync<Machine>(Ns, "m1", _ct);
        deleting = await store.GetAsync<Machine>(Ns, "m1", _ct);
        Assert.Equal(stamp, deleting!.Metadata.DeletionTimestamp);

        // Update cannot clear deletionTimestamp nor add a finalizer while deleting.
        deleting.Metadata.DeletionTimestamp = null;
        deleting.Metadata.Finalizers = ["other"];
        var partly = await store.UpdateAsync(deleting, _ct);
        Assert.Equal(stamp, partly.Metadata.DeletionTimestamp);
        Assert.NotNull(await store.GetAsync<Machine>(Ns, "m1", _ct));

        partly.Metadata.Finalizers = ["other", "new-one"];
        var forbidden = await Assert.ThrowsAsync<PacketClusterException>(() => store.UpdateAsync(partly, _ct));
        Assert.Equal("FinalizerAddedDuringDeletion", forbidden.ErrorId);

        partly.Metadata.Finalizers = [];
        await store.UpdateAsync(partly, _ct);
        Assert.Null(await store.GetAsync<Machine>(Ns, "m1", _ct));
        Assert.False(File.Exists(Path.Combine(ClusterDir, "machines", Ns, "m1.yaml")));
    }

    [Fact]
    public async Task Delete_of_a_missing_object_is_not_an_error()
    {
        await using var store = FileStore.Open(ClusterDir);
        await store.DeleteAsync<Machine>(Ns, "ghost", _ct);
        await store.DeleteSecretAsync(Ns, "ghost", _ct);
        Assert.Null(await store.GetAsync<Machine>(Ns, "ghost", _ct));
        Assert.Null(await store.GetSecretAsync(Ns, "ghost", _ct));
    }

    [Fact]
    public async Task List_filters_by_every_label_and_by_namespace()
    {
        await using var store = FileStore.Open(ClusterDir);
        await store.CreateAsync(NewMachine("cp-1", labels: new() { ["set"] = "cp", ["role"] = "control-plane" }), _ct);
        await store.CreateAsync(NewMachine("w-2", labels: new() { ["set"] = "workers", ["role"] = "worker" }), _ct);
        await store.CreateAsync(NewMachine("w-1", labels: new() { ["set"] = "workers", ["role"] = "worker" }), _ct);
        await store.CreateAsync(NewMachine("bare", labels: new()), _ct);
        var other = NewMachine("w-3");
        other.Metadata.Namespace = "other";
        await store.CreateAsync(other, _ct);

        var workers = await store.ListAsync<Machine>(Ns, new Dictionary<string, string> { ["set"] = "workers" }, _ct);
        Assert.Equal(["w-1", "w-2"], workers.Select(m => m.Name));
        Assert.Empty(await store.ListAsync<Machine>(Ns, new Dictionary<string, string> { ["set"] = "workers", ["role"] = "control-plane" }, _ct));
        Assert.Equal(4, (await store.ListAsync<Machine>(Ns, null, _ct)).Count);
        Assert.Equal(4, (await store.ListAsync<Machine>(Ns, new Dictionary<string, string>(), _ct)).Count);
        Assert.Equal(["w-3"], (await store.ListAsync<Machine>("other", null, _ct)).Select(m => m.Name));
        Assert.Equal(5, (await store.ListAsync<Machine>("", null, _ct)).Count);
        Assert.Empty(await store.ListAsync<MachineSet>(Ns, null, _ct));
    }

    [Fact]
    public async Task Returned_objects_are_copies()
    {
        await using var store = FileStore.Open(ClusterDir);
        var input = NewMachine("m1");
        var created = await store.CreateAsync(input, _ct);
        Assert.NotSame(input, created);
        created.Spec.ProviderID = "changed";
        created.Metadata.Labels!["x"] = "y";
        input.Spec.Versions!.Kubelet = "changed";
        var read = await store.GetAsync<Machine>(Ns, "m1", _ct);
        Assert.Null(read!.Spec.ProviderID);
        Assert.False(read.Metadata.Labels!.ContainsKey("x"));
        Assert.Equal("1.33.1", read.Spec.Versions!.Kubelet);
    }

    [Fact]
    public async Task Secret_data_round_trips_byte_for_byte()
    {
        await using var store = FileStore.Open(ClusterDir);
        var key = new byte[] { 0, 1, 2, 255, 254, 10, 13, 0x80 };
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "demo-ca", NamespaceProperty = Ns, Labels = new Dictionary<string, string> { ["cluster"] = "demo" } },
            Type = "kubernetes.io/tls",
            Data = new Dictionary<string, byte[]> { ["tls.key"] = key, ["tls.crt"] = Encoding.UTF8.GetBytes("-----BEGIN CERTIFICATE-----\n") },
            StringData = new Dictionary<string, string> { ["note"] = "from stringData" },
        };
        var created = await store.CreateSecretAsync(secret, _ct);
        Assert.True(Guid.TryParse(created.Metadata.Uid, out _));
        Assert.NotNull(created.Metadata.ResourceVersion);
        Assert.NotNull(created.Metadata.CreationTimestamp);
        Assert.Null(secret.Metadata.Uid); // the caller's object is not touched

        var read = await store.GetSecretAsync(Ns, "demo-ca", _ct);
        Assert.Equal(key, read!.Data["tls.key"]);
        Assert.Equal("from stringData", Encoding.UTF8.GetString(read.Data["note"]));
        Assert.Null(read.StringData);
        Assert.Equal("kubernetes.io/tls", read.Type);
        Assert.Equal("Secret", read.Kind);
        Assert.Equal("v1", read.ApiVersion);
        Assert.True(File.Exists(Path.Combine(ClusterDir, "secrets", Ns, "demo-ca.yaml")));

        var error = await Assert.ThrowsAsync<StoreConflictException>(() => store.CreateSecretAsync(secret, _ct));
        Assert.Equal("ObjectExists", error.ErrorId);

        read.Data["tls.key"][0] = 42;
        Assert.Equal(key, (await store.GetSecretAsync(Ns, "demo-ca", _ct))!.Data["tls.key"]);

        Assert.Single(await store.ListSecretsAsync(Ns, _ct));
        await store.DeleteSecretAsync(Ns, "demo-ca", _ct);
        Assert.Null(await store.GetSecretAsync(Ns, "demo-ca", _ct));
        Assert.Empty(await store.ListSecretsAsync(Ns, _ct));
    }

    [Fact]
    public async Task Files_are_0600_and_folders_0700()
    {
        await using (var store = FileStore.Open(ClusterDir))
        {
            await store.CreateAsync(NewCluster(), _ct);
            await store.CreateAsync(NewMachine("m1"), _ct);
            await store.CreateSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s", NamespaceProperty = Ns }, Data = new Dictionary<string, byte[]> { ["k"] = [1] } }, _ct);

            const UnixFileMode file = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            const UnixFileMode folder = file | UnixFileMode.UserExecute;
            Assert.Equal(folder, File.GetUnixFileMode(ClusterDir));
            foreach (var dir in Directory.EnumerateDirectories(ClusterDir, "*", SearchOption.AllDirectories))
                Assert.True(File.GetUnixFileMode(dir) == folder, $"{dir} is {File.GetUnixFileMode(dir)}");
            var files = Directory.EnumerateFiles(ClusterDir, "*", SearchOption.AllDirectories).ToList();
            Assert.Contains(files, f => f.EndsWith(".resource-version"));
            Assert.Contains(files, f => f.EndsWith(".lock"));
            Assert.Contains(files, f => f.EndsWith(".lock-owner"));
            foreach (var path in files)
                Assert.True(File.GetUnixFileMode(path) == file, $"{path} is {File.GetUnixFileMode(path)}");
        }
    }

    [Fact]
    public async Task Open_tightens_a_folder_made_with_a_wider_mode()
    {
        Directory.CreateDirectory(ClusterDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        await using var store = FileStore.Open(ClusterDir);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(ClusterDir));
    }

    [Fact]
    public async Task Writes_leave_no_temp_files_and_every_file_parses()
    {
        await using var store = FileStore.Open(ClusterDir);
        var machine = await store.CreateAsync(NewMachine("m1"), _ct);
        for (var i = 0; i < 20; i++)
        {
            machine.Spec.ProviderID = $"equinixmetal://{i}";
            machine = await store.UpdateAsync(machine, _ct);
        }
        Assert.Empty(Directory.EnumerateFiles(ClusterDir, "*.tmp", SearchOption.AllDirectories));
        foreach (var path in Directory.EnumerateFiles(ClusterDir, "*.yaml", SearchOption.AllDirectories))
            Assert.Single(YamlJsonBridge.Parse(File.ReadAllText(path), path));
        Assert.Equal(21, machine.Metadata.Generation);
    }

    [Fact]
    public async Task Stray_temp_files_are_ignored_by_reads_and_swept_on_open()
    {
        await using (var store = FileStore.Open(ClusterDir))
            await store.CreateAsync(NewMachine("m1"), _ct);
        // What a crash between write and rename leaves behind: a half-written temp file.
        var stray = Path.Combine(ClusterDir, "machines", Ns, ".m2.yaml.0123456789abcdef.tmp");
        File.WriteAllText(stray, "apiVersion: cluster.k8s.io/v1alpha1\nkind: Mach");

        await using (var store = FileStore.Open(ClusterDir))
        {
            Assert.False(File.Exists(stray));
            Assert.Equal(["m1"], (await store.ListAsync<Machine>(Ns, null, _ct)).Select(m => m.Name));
            // Appearing while the store is open (no sweep): still ignored.
            File.WriteAllText(stray, "not: [valid");
            Assert.Equal(["m1"], (await store.ListAsync<Machine>(Ns, null, _ct)).Select(m => m.Name));
            Assert.Equal(["m1"], (await store.ListAsync<Machine>("", null, _ct)).Select(m => m.Name));
        }
    }

    [Fact]
    public async Task Data_and_resource_version_survive_dispose_and_reopen()
    {
        string lastVersion;
        Machine created;
        await using (var store = FileStore.Open(ClusterDir))
        {
            created = await store.CreateAsync(NewMachine("m1"), _ct);
            created.Status = new MachineStatus { Phase = "Running" };
            lastVersion = (await store.UpdateStatusAsync(created, _ct)).Metadata.ResourceVersion!;
            await store.CreateSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" }, Data = new Dictionary<string, byte[]> { ["k"] = [7] } }, _ct);
            lastVersion = (await store.GetSecretAsync(Ns, "s", _ct))!.Metadata.ResourceVersion;
        }

        await using (var store = FileStore.Open(ClusterDir))
        {
            var read = await store.GetAsync<Machine>(Ns, "m1", _ct);
            Assert.Equal(created.Metadata.Uid, read!.Metadata.Uid);
            Assert.Equal("Running", read.Status!.Phase);
            Assert.Equal(new byte[] { 7 }, (await store.GetSecretAsync(Ns, "s", _ct))!.Data["k"]);
            var next = await store.CreateAsync(NewMachine("m2"), _ct);
            Assert.True(long.Parse(next.Metadata.ResourceVersion!) > long.Parse(lastVersion));
        }
    }

    [Fact]
    public async Task A_lost_resource_version_counter_restarts_above_every_stored_version()
    {
        string highest;
        await using (var store = FileStore.Open(ClusterDir))
        {
            await store.CreateAsync(NewMachine("m1"), _ct);
            highest = (await store.CreateAsync(NewMachine("m2"), _ct)).Metadata.ResourceVersion!;
        }
        File.Delete(Path.Combine(ClusterDir, FileStore.ResourceVersionFileName));
        await using (var store = FileStore.Open(ClusterDir))
        {
            var next = await store.CreateAsync(NewMachine("m3"), _ct);
            Assert.True(long.Parse(next.Metadata.ResourceVersion!) > long.Parse(highest));
        }
    }

    [Fact]
    public async Task A_second_open_in_the_same_process_is_ClusterStateLocked()
    {
        await using var store = FileStore.Open(ClusterDir);
        var error = Assert.Throws<PacketClusterException>(() => FileStore.Open(ClusterDir));
        Assert.Equal("ClusterStateLocked", error.ErrorId);
        Assert.Equal(ErrorKind.InvalidOperation, error.Kind);
        Assert.Contains($"process {Environment.ProcessId}", error.Message);
        Assert.Contains(ClusterDir, error.Message);

        await store.DisposeAsync();
        await using var again = FileStore.Open(ClusterDir);
    }

    [Fact]
    public async Task The_lock_file_is_held_exclusively_while_the_store_is_open()
    {
        await using (FileStore.Open(ClusterDir))
        {
            // FileShare.None: any other open of the lock file, ours or another process', is refused.
            Assert.ThrowsAny<IOException>(() => new FileStream(Path.Combine(ClusterDir, ".lock"), FileMode.Open, FileAccess.Read, FileShare.ReadWrite));
        }
        using var free = new FileStream(Path.Combine(ClusterDir, ".lock"), FileMode.Open, FileAccess.Read, FileShare.None);
    }

    [Fact]
    public async Task Another_process_cannot_take_the_lock_while_the_store_is_open()
    {
        // .NET implements FileShare.None with flock(LOCK_EX) on Unix, so flock(1) sees it from a second process.
        var flock = ExternalCommand.FindOnPath("flock");
        if (flock is null) return;
        var lockPath = Path.Combine(ClusterDir, ".lock");
        await using (FileStore.Open(ClusterDir))
        {
            var held = await ExternalCommand.RunAsync(flock, ["--nonblock", "--conflict-exit-code", "75", lockPath, "true"], TimeSpan.FromSeconds(30));
            Assert.True(held.ExitCode == 75, held.Describe());
        }
        var free = await ExternalCommand.RunAsync(flock, ["--nonblock", "--conflict-exit-code", "75", lockPath, "true"], TimeSpan.FromSeconds(30));
        Assert.True(free.ExitCode == 0, free.Describe());
    }

    [Fact]
    public async Task Open_while_another_process_holds_the_lock_is_ClusterStateLocked()
    {
        var flock = ExternalCommand.FindOnPath("flock");
        if (flock is null) return;
        Directory.CreateDirectory(ClusterDir);
        var lockPath = Path.Combine(ClusterDir, ".lock");
        File.WriteAllText(Path.Combine(ClusterDir, ".lock-owner"), "pid=424242\nstarted=2026-01-01 00:00:00Z\nhost=elsewhere\n");
        var ready = Path.Combine(_temp.Path, "ready");
        // A second process takes the lock, signals, and keeps it until killed.
        using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(flock)
        {
            // --no-fork: flock execs the shell, which execs sleep, so the holder is this one process and Kill frees the lock.
            ArgumentList = { "--no-fork", lockPath, "sh", "-c", $"touch '{ready}'; exec sleep 60" },
            UseShellExecute = false,
        })!;
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!File.Exists(ready) && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.True(File.Exists(ready), "flock did not take the lock");

            var error = Assert.Throws<PacketClusterException>(() => FileStore.Open(ClusterDir));
            Assert.Equal("ClusterStateLocked", error.ErrorId);
            Assert.Contains("process 424242", error.Message);
            Assert.Contains("try again", error.Message);
            Assert.Equal("ClusterStateLocked", Assert.Throws<PacketClusterException>(() => FileStore.DeleteDirectory(ClusterDir)).ErrorId);
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync();
        }
        await using var store = FileStore.Open(ClusterDir);
    }

    [Fact]
    public async Task Exists_and_DeleteDirectory_manage_a_cluster_folder()
    {
        Assert.False(FileStore.Exists(ClusterDir));
        Assert.False(FileStore.DeleteDirectory(ClusterDir));
        await using (var store = FileStore.Open(ClusterDir))
        {
            Assert.False(FileStore.Exists(ClusterDir));
            await store.CreateAsync(NewCluster(), _ct);
            Assert.True(FileStore.Exists(ClusterDir));
            Assert.Equal("ClusterStateLocked", Assert.Throws<PacketClusterException>(() => FileStore.DeleteDirectory(ClusterDir)).ErrorId);
        }
        Assert.True(FileStore.DeleteDirectory(ClusterDir));
        Assert.False(Directory.Exists(ClusterDir));
        Assert.False(FileStore.Exists(ClusterDir));
    }

    [Fact]
    public async Task Use_after_dispose_is_ObjectDisposed()
    {
        var store = FileStore.Open(ClusterDir);
        await store.DisposeAsync();
        await store.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.GetAsync<Machine>(Ns, "m1", _ct));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.CreateAsync(NewMachine("m1"), _ct));
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("UPPER")]
    [InlineData("")]
    public async Task Names_that_are_not_Kubernetes_names_are_refused_before_any_path_is_built(string name)
    {
        await using var store = FileStore.Open(ClusterDir);
        var error = await Assert.ThrowsAsync<PacketClusterException>(() => store.GetAsync<Machine>(Ns, name, _ct));
        Assert.Equal("InvalidResourceName", error.ErrorId);
        Assert.Equal("InvalidNamespace", (await Assert.ThrowsAsync<PacketClusterException>(() => store.GetAsync<Machine>("../x", "m1", _ct))).ErrorId);
    }

    [Fact]
    public async Task GenerateName_makes_a_unique_name()
    {
        await using var store = FileStore.Open(ClusterDir);
        var input = NewMachine("");
        input.Metadata.Name = null;
        input.Metadata.GenerateName = "workers-";
        var a = await store.CreateAsync(input, _ct);
        var b = await store.CreateAsync(input, _ct);
        Assert.StartsWith("workers-", a.Name);
        Assert.Equal("workers-".Length + 5, a.Name.Length);
        Assert.NotEqual(a.Name, b.Name);
    }

    [Fact]
    public async Task Concurrent_updates_from_one_process_serialize_and_lose_nothing()
    {
        await using var store = FileStore.Open(ClusterDir);
        await store.CreateAsync(NewMachine("m1"), _ct);
        var successes = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(async () =>
        {
            for (var done = 0; done < 5;)
            {
                var machine = (await store.GetAsync<Machine>(Ns, "m1", _ct))!;
                machine.Metadata.Annotations ??= new();
                machine.Metadata.Annotations[$"w{worker}-{done}"] = "x";
                try
                {
                    await store.UpdateAsync(machine, _ct);
                    done++;
                    Interlocked.Increment(ref successes);
                }
                catch (StoreConflictException ex) when (ex.ErrorId == "ObjectModified")
                {
                    // Lost the race: read again and retry, as a reconciler would.
                }
            }
        })));
        Assert.Equal(40, successes);
        Assert.Equal(40, (await store.GetAsync<Machine>(Ns, "m1", _ct))!.Metadata.Annotations!.Count);
    }
}
