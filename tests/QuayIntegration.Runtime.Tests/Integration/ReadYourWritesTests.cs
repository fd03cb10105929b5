using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Testing;

namespace QuayIntegration.Runtime.Tests.Integration;

/// <summary>
/// The overlay of this process's own writes on an informer whose watch lags behind the API server (the emulated one
/// delivers each configmap event 1.5 s late here), through real writes and a real list and watch.
/// </summary>
public sealed class ReadYourWritesTests : IAsyncLifetime
{
    private static readonly TimeSpan Lag = TimeSpan.FromMilliseconds(1500);
    private EmulatedApiServer _world = null!;
    private readonly CancellationTokenSource _stop = new();
    private Informer<V1ConfigMap> _informer = null!;
    private ReadYourWrites<V1ConfigMap> _overlay = null!;
    private Task _run = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        _world = await EmulatedApiServer.StartAsync();
        await _world.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "rw" } });
        _informer = new Informer<V1ConfigMap>(_world.Api, new InformerSpec(ResourceType.ConfigMaps), TimeSpan.Zero, NullLogger.Instance);
        _overlay = new ReadYourWrites<V1ConfigMap>(_informer);
        _run = _informer.RunAsync(_stop.Token);
        await _informer.WaitForSyncAsync(_stop.Token).WaitAsync(TimeSpan.FromSeconds(10));
        _world.Server.Faults.SetWatchLag("configmaps", Lag);
    }

    public async Task DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run.WaitAsync(TimeSpan.FromSeconds(10));
        await _world.DisposeAsync();
    }

    private static readonly ObjectKey Key = new("rw", "cm");

    private Task<V1ConfigMap> PatchAsync(V1ConfigMap before, string value) =>
        _world.Api.PatchAsync<V1ConfigMap>(ResourceType.ConfigMaps.ObjectPath("rw", "cm"),
            new V1Patch($$$"""{"metadata":{"resourceVersion":"{{{before.Metadata.ResourceVersion}}}"},"data":{"v":"{{{value}}}"}}""", V1Patch.PatchType.MergePatch), CancellationToken.None);

    private static Task Until(Func<bool> condition, string what) => Polling.Eventually(() => Task.FromResult(condition()), what, TimeSpan.FromSeconds(15));

    [Fact]
    public async Task A_chain_of_writes_is_read_back_as_written_until_the_cache_catches_up()
    {
        // A longer lag than the other tests': the cache shows an older write from the create's arrival (3 s) to the last
        // patch's (the chain starts 1.5 s after the create), long enough to be seen through a loaded machine's pauses.
        var lag = TimeSpan.FromSeconds(3);
        _world.Server.Faults.SetWatchLag("configmaps", lag);
        var created = _overlay.Written(null, await _world.Api.CreateAsync(ResourceType.ConfigMaps.CollectionPath("rw"),
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm" }, Data = new Dictionary<string, string> { ["v"] = "1" } }, CancellationToken.None));
        Assert.Null(_informer.Get(Key)); // the watch has not told the cache yet
        Assert.Equal("1", _overlay.Get(Key)!.Data["v"]);
        Assert.Single(_overlay.ListInNamespace("rw"));

        // Each write computed from what the overlay reads: none is refused for an old resourceVersion. (Made well after
        // the create, so the cache shows the create alone for a while.)
        await Task.Delay(lag / 2);
        var second = _overlay.Written(_overlay.Get(Key), await PatchAsync(_overlay.Get(Key)!, "2"));
        _overlay.Written(second, await PatchAsync(second, "3"));
        Assert.Equal("3", _overlay.Get(Key)!.Data["v"]);
        // Until the last write reaches the cache, every moment the cache shows an older one the overlay serves the last.
        var behind = 0;
        await Until(() =>
        {
            var cached = _informer.Get(Key)?.Data["v"];
            if (cached is null or "3") return cached == "3";
            Assert.Equal("3", _overlay.Get(Key)!.Data["v"]);
            behind++;
            return false;
        }, "the last write reaches the cache");
        Assert.True(behind > 0, "the cache was never seen behind the overlay");
        Assert.Equal(0, _overlay.PendingCount);
        Assert.Same(_informer.Get(Key), _overlay.Get(Key));
        Assert.NotSame(created, _overlay.Get(Key));
    }

    [Fact]
    public async Task Someone_elses_later_write_makes_the_cache_the_truth_again()
    {
        var created = await _world.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm" }, Data = new Dictionary<string, string> { ["v"] = "0" } }, "rw");
        await Until(() => _informer.Get(Key) is not null, "the object in the cache");
        var ours = _overlay.Written(_informer.Get(Key), await PatchAsync(created, "ours"));
        await _world.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"v":"theirs"}}""", V1Patch.PatchType.MergePatch), "cm", "rw");
        Assert.Equal("ours", _overlay.Get(Key)!.Data["v"]);

        // The cache passes this process's write, then shows the other writer's: from then on it is the truth.
        await Until(() => _informer.Get(Key)?.Data["v"] == "theirs", "the other writer's change in the cache");
        Assert.Equal("theirs", _overlay.Get(Key)!.Data["v"]);
        Assert.Equal(0, _overlay.PendingCount);
        Assert.NotEqual(ours.Metadata.ResourceVersion, _overlay.Get(Key)!.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task A_deletion_reads_as_gone_at_once_and_the_copy_goes_when_the_cache_agrees()
    {
        await _world.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm" } }, "rw");
        await Until(() => _informer.Get(Key) is not null, "the object in the cache");
        var before = _overlay.Get(Key);
        await _world.Api.DeleteAsync(ResourceType.ConfigMaps.ObjectPath("rw", "cm"), CancellationToken.None);
        _overlay.Deleted(Key, before);
        Assert.NotNull(_informer.Get(Key));
        Assert.Null(_overlay.Get(Key));
        Assert.Empty(_overlay.ListInNamespace("rw"));

        await Until(() => _informer.Get(Key) is null, "the deletion reaches the cache");
        Assert.Equal(0, _overlay.PendingCount);

        // Created and deleted by this process before the cache saw either: gone at once, and forgotten once the cache
        // has seen both.
        var created = _overlay.Written(null, await _world.Api.CreateAsync(ResourceType.ConfigMaps.CollectionPath("rw"),
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm" } }, CancellationToken.None));
        await _world.Api.DeleteAsync(ResourceType.ConfigMaps.ObjectPath("rw", "cm"), CancellationToken.None);
        _overlay.Deleted(Key, created);
        Assert.Null(_overlay.Get(Key));
        await Task.Delay(Lag * 2);
        Assert.Null(_informer.Get(Key));
        Assert.Equal(0, _overlay.PendingCount);
    }

    /// <summary>
    /// A created object whose ADDED event a broken watch lost, deleted by someone else before the informer relisted:
    /// the relist reads everything afresh and tells no handler of an object it never held, so only the relist itself
    /// can end the copy (served for ever otherwise, a ghost Secret the operator would never write again).
    /// </summary>
    [Fact]
    public async Task A_relist_after_the_write_makes_the_cache_the_truth()
    {
        _overlay.Written(null, await _world.Api.CreateAsync(ResourceType.ConfigMaps.CollectionPath("rw"),
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm" } }, CancellationToken.None));
        await _world.Client.CoreV1.DeleteNamespacedConfigMapAsync("cm", "rw");
        var lists = _informer.LastCompleteList;
        _world.Server.Faults.CompactHistory();
        _world.Server.Faults.ExpireNextWatches(1, "configmaps");
        _world.Server.Faults.DropWatches("configmaps");
        await Until(() => _informer.LastCompleteList > lists, "the informer relisted");
        Assert.Null(_informer.Get(Key));
        Assert.Null(_overlay.Get(Key));
        Assert.Equal(0, _overlay.PendingCount);
    }

    /// <summary>A write that changed nothing keeps the version and causes no watch event: nothing is kept for it.</summary>
    [Fact]
    public async Task A_write_that_changes_nothing_keeps_no_copy()
    {
        await _world.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm" }, Data = new Dictionary<string, string> { ["v"] = "same" } }, "rw");
        await Until(() => _informer.Get(Key) is not null, "the object in the cache");
        var before = _overlay.Get(Key)!;
        var reply = await PatchAsync(before, "same");
        Assert.Equal(before.Metadata.ResourceVersion, reply.Metadata.ResourceVersion);
        _overlay.Written(before, reply);
        Assert.Equal(0, _overlay.PendingCount);
    }

    /// <summary>
    /// Taking the last finalizer off an object marked for deletion deletes it: the reply is its last state, and the
    /// object reads as gone from then on, also when the cache sees the deletion before the reply is remembered.
    /// </summary>
    [Fact]
    public async Task A_write_that_removes_the_last_finalizer_of_a_deleted_object_reads_as_gone()
    {
        await _world.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm", Finalizers = ["example.com/hold"] } }, "rw");
        await _world.Client.CoreV1.DeleteNamespacedConfigMapAsync("cm", "rw");
        await Until(() => _informer.Get(Key)?.Metadata.DeletionTimestamp is not null, "the object marked for deletion in the cache");
        var before = _overlay.Get(Key)!;
        var reply = await _world.Api.PatchAsync<V1ConfigMap>(ResourceType.ConfigMaps.ObjectPath("rw", "cm"),
            new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), CancellationToken.None);
        Assert.NotNull(reply.Metadata.DeletionTimestamp);
        _overlay.Written(before, reply);
        Assert.Null(_overlay.Get(Key));
        await Until(() => _informer.Get(Key) is null, "the deletion reaches the cache");
        Assert.Null(_overlay.Get(Key));
        Assert.Equal(0, _overlay.PendingCount);
    }

    /// <summary>
    /// The write that let a deleted object go, then a create under its name (OwnershipRecords making a record someone
    /// deleted again): the new object is read while the cache shows none, until it shows the new one.
    /// </summary>
    [Fact]
    public async Task An_object_made_again_after_its_last_finalizer_went_is_read_as_made_until_the_cache_shows_it()
    {
        await _world.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm", Finalizers = ["example.com/hold"] }, Data = new Dictionary<string, string> { ["v"] = "old" } }, "rw");
        await _world.Client.CoreV1.DeleteNamespacedConfigMapAsync("cm", "rw");
        await Until(() => _informer.Get(Key)?.Metadata.DeletionTimestamp is not null, "the object marked for deletion in the cache");
        var before = _overlay.Get(Key)!;
        await _world.Api.PatchAsync<V1ConfigMap>(ResourceType.ConfigMaps.ObjectPath("rw", "cm"),
            new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), CancellationToken.None);
        // The create is made once the cache shows the deletion, so the cache shows none for the watch's lag.
        await Until(() => _informer.Get(Key) is null, "the deletion reaches the cache");
        var made = await _world.Api.CreateAsync(ResourceType.ConfigMaps.CollectionPath("rw"),
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm" }, Data = new Dictionary<string, string> { ["v"] = "new" } }, CancellationToken.None);
        _overlay.Recreated(before, made);
        Assert.Null(_informer.Get(Key)); // the watch is behind
        Assert.Equal("new", _overlay.Get(Key)!.Data["v"]);
        await Until(() => _informer.Get(Key)?.Data["v"] == "new", "the create reaches the cache");
        Assert.Equal(0, _overlay.PendingCount);
        Assert.Same(_informer.Get(Key), _overlay.Get(Key));
    }

    /// <summary>
    /// The same after a chain of this process's writes on the object being deleted (a record written, then let go):
    /// the cache, still showing the version the chain started from, is behind the object made again, which is served.
    /// </summary>
    [Fact]
    public async Task An_object_made_again_after_a_chain_of_writes_is_read_as_made_while_the_cache_shows_where_the_chain_began()
    {
        await _world.Client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm", Finalizers = ["example.com/hold"] }, Data = new Dictionary<string, string> { ["v"] = "old" } }, "rw");
        await _world.Client.CoreV1.DeleteNamespacedConfigMapAsync("cm", "rw");
        await Until(() => _informer.Get(Key)?.Metadata.DeletionTimestamp is not null, "the object marked for deletion in the cache");
        var marked = _overlay.Get(Key)!;
        var written = _overlay.Written(marked, await PatchAsync(marked, "written"));
        var letGo = await _world.Api.PatchAsync<V1ConfigMap>(ResourceType.ConfigMaps.ObjectPath("rw", "cm"),
            new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), CancellationToken.None);
        _overlay.Written(written, letGo);
        var made = await _world.Api.CreateAsync(ResourceType.ConfigMaps.CollectionPath("rw"),
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm" }, Data = new Dictionary<string, string> { ["v"] = "new" } }, CancellationToken.None);
        _overlay.Recreated(written, made);
        Assert.Equal(marked.Metadata.ResourceVersion, _informer.Get(Key)?.Metadata.ResourceVersion); // the watch is behind the whole chain
        Assert.Equal("new", _overlay.Get(Key)!.Data["v"]);
        await Until(() => _informer.Get(Key)?.Data["v"] == "new", "the create reaches the cache");
        Assert.Equal(0, _overlay.PendingCount);
    }
}
