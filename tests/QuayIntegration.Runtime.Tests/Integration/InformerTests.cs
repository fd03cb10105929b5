using System.Collections.Concurrent;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime;
using QuayIntegration.Runtime.Tests.Support;
using QuayIntegration.Testing;

namespace QuayIntegration.Runtime.Tests.Integration;

/// <summary>The informer over real list/watch against the emulated API server, including expired and broken watches.</summary>
public sealed class InformerTests : IAsyncLifetime
{
    private EmulatedApiServer _world = null!;

    public async Task InitializeAsync() => _world = await EmulatedApiServer.StartAsync();

    public async Task DisposeAsync() => await _world.DisposeAsync();

    /// <summary>
    /// Every event as "kind:name": a resync hands the cached instance as old and new; an update between two
    /// instances of the same resourceVersion ("same:") is one the informer should have skipped.
    /// </summary>
    private sealed class Recorder<T>(ObjectIdentity<T> identity) : IInformerHandler<T> where T : class
    {
        public ConcurrentQueue<string> Events { get; } = new();
        public ConcurrentDictionary<string, T> Deleted { get; } = new();
        public void OnAdd(T obj) => Events.Enqueue("add:" + identity.NameOf(obj));

        public void OnUpdate(T oldObj, T newObj) =>
            Events.Enqueue((ReferenceEquals(oldObj, newObj) ? "resync:" : identity.VersionOf(oldObj) == identity.VersionOf(newObj) ? "same:" : "update:")
                           + identity.NameOf(newObj));

        public void OnDelete(T obj)
        {
            Deleted[identity.NameOf(obj)] = obj;
            Events.Enqueue("delete:" + identity.NameOf(obj));
        }
    }

    private static Task Until(Func<bool> condition, string what) =>
        Polling.Eventually(() => Task.FromResult(condition()), what, TimeSpan.FromSeconds(15));

    private Task CreateNamespace(string name) => _world.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });

    [Fact]
    public async Task Lists_then_watches_and_relists_after_a_broken_stream_and_an_expired_resource_version()
    {
        await CreateNamespace("before");
        var informer = new Informer<V1Namespace>(_world.Api, new InformerSpec(ResourceType.Namespaces), TimeSpan.Zero, NullLogger.Instance);
        var recorder = new Recorder<V1Namespace>(ObjectIdentity.Kubernetes<V1Namespace>());
        informer.AddHandler(recorder);
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Contains("add:before", recorder.Events);

        await CreateNamespace("watched");
        await Until(() => informer.Get(ObjectKey.Cluster("watched")) is not null, "watched namespace in the cache");

        // Everything the informer missed while its watch was broken and the history compacted is found by the relist.
        _world.Server.Faults.CompactHistory();
        _world.Server.Faults.ExpireNextWatches(1, "namespaces");
        _world.Server.Faults.DropWatches("namespaces");
        await CreateNamespace("while-broken");
        await _world.Client.CoreV1.DeleteNamespaceAsync("before");
        await Until(() => informer.Get(ObjectKey.Cluster("while-broken")) is not null, "namespace created while the watch was broken");
        await Until(() => recorder.Events.Contains("update:before") || recorder.Events.Contains("delete:before") || informer.Get(ObjectKey.Cluster("before"))?.Metadata.DeletionTimestamp is not null,
            "deletion of 'before' seen");

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// Review of 2c028e7 (helper-68): a watch the API server turns away with a 429 (shedding load, or its watch cache
    /// still filling after a restart) was followed by a full list, the costliest request there is, at the worst moment.
    /// It is asked again from where it was, after a backoff, as client-go's reflector does; nothing is missed.
    /// </summary>
    [Fact]
    public async Task A_watch_turned_away_with_429_is_asked_again_from_where_it_was_without_a_relist()
    {
        var informer = new Informer<V1Namespace>(_world.Api, new InformerSpec(ResourceType.Namespaces), TimeSpan.Zero, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(10));
        var lists = informer.ListsStarted;

        _world.Server.Faults.InjectStatus(429, 2, "namespaces", "watch");
        _world.Server.Faults.DropWatches("namespaces");
        await CreateNamespace("after-429");
        await Until(() => informer.Get(ObjectKey.Cluster("after-429")) is not null, "the namespace made while the watch was turned away");
        Assert.Equal(lists, informer.ListsStarted);

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// Review of 206f04e (helper-76): a watch whose resourceVersion is gone at once after every list (history compacted
    /// faster than a long list is read, or a proxy answering 410) sent the informer straight back to a full list, with
    /// no backoff, for as long as it lasted. After a 410 that no watch ran before, it backs off; the cache still catches up.
    /// </summary>
    [Fact]
    public async Task A_resource_version_gone_after_every_list_does_not_loop_on_lists()
    {
        var informer = new Informer<V1Namespace>(_world.Api, new InformerSpec(ResourceType.Namespaces), TimeSpan.Zero, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(10));
        var lists = informer.ListsStarted;

        _world.Server.Faults.ExpireNextWatches(1000, "namespaces");
        _world.Server.Faults.DropWatches("namespaces");
        await Task.Delay(3000);
        // 200 ms doubling: at most a handful in three seconds (without the backoff: hundreds).
        Assert.InRange(informer.ListsStarted - lists, 1, 8);

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>A cache's own small type, projected from the decoded model (as the operator's service accounts and Secrets are).</summary>
    private sealed class SmallSecret(V1Secret secret) : CachedObject(secret.Metadata)
    {
        public string? Type { get; } = secret.Type;
    }

    [Fact]
    public async Task A_cache_of_its_own_type_lists_watches_replays_and_relists_through_its_projection()
    {
        await CreateNamespace("small");
        Task Create(string name) => _world.Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = name }, Type = "example.com/" + name }, "small");
        await Create("listed");
        var informer = new Informer<V1Secret, SmallSecret>(_world.Api, new InformerSpec(ResourceType.Secrets, Namespace: "small"),
            TimeSpan.FromMilliseconds(300), NullLogger.Instance, secret => new SmallSecret(secret), ObjectIdentity.Cached<SmallSecret>());
        var recorder = new Recorder<SmallSecret>(ObjectIdentity.Cached<SmallSecret>());
        informer.AddHandler(recorder);
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Contains("add:listed", recorder.Events);
        Assert.Equal("example.com/listed", informer.Get("small", "listed")?.Type);
        await Until(() => recorder.Events.Contains("resync:listed"), "resync replays the cached object");

        await Create("watched");
        await Until(() => informer.Get("small", "watched") is not null, "watched Secret cached");
        await _world.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"labels":{"a":"b"}}}""", V1Patch.PatchType.MergePatch), "watched", "small");
        await Until(() => recorder.Events.Contains("update:watched"), "update seen with a new resourceVersion");
        var cached = informer.Get("small", "watched");
        await _world.Client.CoreV1.DeleteNamespacedSecretAsync("watched", "small");
        await Until(() => recorder.Deleted.ContainsKey("watched"), "delete seen");
        // Handlers get the instance the cache held, not a new projection of the deleted object.
        Assert.Same(cached, recorder.Deleted["watched"]);
        Assert.Null(informer.Get("small", "watched"));

        // Deleted while the watch was broken and the history compacted: the relist takes it out.
        _world.Server.Faults.CompactHistory();
        _world.Server.Faults.ExpireNextWatches(1, "secrets");
        _world.Server.Faults.DropWatches("secrets");
        await _world.Client.CoreV1.DeleteNamespacedSecretAsync("listed", "small");
        await Until(() => informer.Get("small", "listed") is null && recorder.Deleted.ContainsKey("listed"), "removed by the relist");
        Assert.Empty(informer.ListInNamespace("small"));
        Assert.DoesNotContain(recorder.Events, e => e.StartsWith("same:", StringComparison.Ordinal));

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Label_selector_limits_the_cache_and_resync_replays_it()
    {
        await CreateNamespace("app");
        var informer = new Informer<V1Secret>(_world.Api, new InformerSpec(ResourceType.Secrets, LabelSelector: "app.kubernetes.io/managed-by=quay-integration-operator"),
            TimeSpan.FromMilliseconds(300), NullLogger.Instance);
        var recorder = new Recorder<V1Secret>(ObjectIdentity.Kubernetes<V1Secret>());
        informer.AddHandler(recorder);
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(10));

        await _world.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "other" }, Data = new Dictionary<string, byte[]> { ["k"] = Encoding.UTF8.GetBytes("v") } }, "app");
        await _world.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "ours", Labels = new Dictionary<string, string> { ["app.kubernetes.io/managed-by"] = "quay-integration-operator" } },
        }, "app");
        await Until(() => informer.Get("app", "ours") is not null, "labelled Secret cached");
        await Until(() => recorder.Events.Contains("resync:ours"), "resync replay");
        Assert.Null(informer.Get("app", "other"));
        Assert.Single(informer.ListInNamespace("app"));

        // Removing the label takes it out of the selection: a delete for the informer.
        await _world.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"labels":null}}""", V1Patch.PatchType.MergePatch), "ours", "app");
        await Until(() => recorder.Events.Contains("delete:ours"), "delete when leaving the selector");
        Assert.Empty(informer.ListInNamespace("app"));

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Leader_election_lets_one_candidate_lead_and_hands_over_on_release()
    {
        await CreateNamespace("ops");
        var options = new LeaderElectionOptions
        {
            Namespace = "ops", LeaseName = "lock", LeaseDuration = TimeSpan.FromSeconds(2),
            RenewDeadline = TimeSpan.FromSeconds(1.5), RetryPeriod = TimeSpan.FromMilliseconds(100),
        };
        var a = new LeaderElector(_world.Api, options, TimeProvider.System, NullLogger<LeaderElector>.Instance);
        var b = new LeaderElector(_world.Api, options, TimeProvider.System, NullLogger<LeaderElector>.Instance);
        Assert.NotEqual(a.Identity, b.Identity);

        using var stopA = new CancellationTokenSource();
        using var stopB = new CancellationTokenSource();
        var leadingA = new TaskCompletionSource();
        var leadingB = new TaskCompletionSource();
        var runA = a.RunAsync(async ct => { leadingA.TrySetResult(); await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }); }, stopA.Token);
        await leadingA.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var runB = b.RunAsync(async ct => { leadingB.TrySetResult(); await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }); }, stopB.Token);
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // longer than the lease: A keeps renewing, so B must not lead
        Assert.False(leadingB.Task.IsCompleted);
        Assert.True(a.IsLeader);

        await stopA.CancelAsync();
        Assert.False(await runA.WaitAsync(TimeSpan.FromSeconds(10))); // shut down, not lost
        await leadingB.Task.WaitAsync(TimeSpan.FromSeconds(5));
        var lease = await _world.Client.CoordinationV1.ReadNamespacedLeaseAsync("lock", "ops");
        Assert.Equal(b.Identity, lease.Spec.HolderIdentity);
        Assert.Equal(1, lease.Spec.LeaseTransitions);

        await stopB.CancelAsync();
        await runB.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// Review of 2c028e7 (helper-68): someone deletes the Lease, or clears its holder, while A leads and B waits. B made
    /// it again (or took it) at its next poll, and led beside A until A's next renewal. What B last saw of A is waited
    /// out first; A, renewing meanwhile, keeps leading, and B never leads while A does.
    /// </summary>
    [Theory]
    [InlineData("deleted")]
    [InlineData("holder cleared")]
    public async Task A_lease_deleted_or_cleared_by_someone_does_not_let_a_second_candidate_lead_beside_the_first(string how)
    {
        await CreateNamespace("ops");
        LeaderElectionOptions Options(double retrySeconds) => new()
        {
            Namespace = "ops", LeaseName = "lock", LeaseDuration = TimeSpan.FromSeconds(3),
            RenewDeadline = TimeSpan.FromSeconds(2.5), RetryPeriod = TimeSpan.FromSeconds(retrySeconds),
        };
        // A renews every second, leaving 1.5 s for a slow renewal on a busy machine (CI on 18ac238: A stepped down with
        // 0.5 s); B polls ten times as often, so it would be the first to see the Lease gone or free.
        var a = new LeaderElector(_world.Api, Options(1.0), TimeProvider.System, NullLogger<LeaderElector>.Instance);
        var b = new LeaderElector(_world.Api, Options(0.1), TimeProvider.System, NullLogger<LeaderElector>.Instance);
        using var stop = new CancellationTokenSource();
        var leadingA = new TaskCompletionSource();
        var leadingB = new TaskCompletionSource();
        var overlap = false;
        var runA = a.RunAsync(async ct => { leadingA.TrySetResult(); await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }); }, stop.Token);
        await leadingA.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var runB = b.RunAsync(async ct => { overlap |= a.IsLeader; leadingB.TrySetResult(); await Task.Delay(Timeout.Infinite, ct).ContinueWith(_ => { }); }, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(1)); // B has seen A's record

        if (how == "deleted") await _world.Client.CoordinationV1.DeleteNamespacedLeaseAsync("lock", "ops");
        else
        {
            // Read, modify, replace: again when A's renewal wrote the Lease in between (a conflict).
            for (var cleared = false; !cleared;)
            {
                var lease = await _world.Client.CoordinationV1.ReadNamespacedLeaseAsync("lock", "ops");
                lease.Spec.HolderIdentity = null;
                try
                {
                    await _world.Client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "lock", "ops");
                    cleared = true;
                }
                catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
                {
                }
            }
        }
        await Task.Delay(TimeSpan.FromSeconds(4)); // past A's renewals and past the lease's duration
        Assert.True(a.IsLeader);
        Assert.False(leadingB.Task.IsCompleted);
        Assert.False(overlap);
        Assert.Equal(a.Identity, (await _world.Client.CoordinationV1.ReadNamespacedLeaseAsync("lock", "ops")).Spec.HolderIdentity);

        await stop.CancelAsync();
        Assert.False(await runA.WaitAsync(TimeSpan.FromSeconds(10))); // shut down, not lost
        try { await runB.WaitAsync(TimeSpan.FromSeconds(10)); }
        catch (OperationCanceledException) { } // stopped while waiting to lead
    }

    [Fact]
    public async Task An_update_keeps_the_instances_of_what_did_not_change_so_references_taken_earlier_stay_the_cached_ones()
    {
        await CreateNamespace("app");
        V1Secret Secret() => new()
        {
            Metadata = new V1ObjectMeta
            {
                Name = "kept",
                Labels = new Dictionary<string, string> { ["team"] = "a" },
                Annotations = new Dictionary<string, string> { ["quay.redhat.com/robot"] = "openshift_app+builder", ["note"] = "first" },
            },
        };
        await _world.Client.CoreV1.CreateNamespacedSecretAsync(Secret(), "app");
        var informer = new Informer<V1Secret>(_world.Api, new InformerSpec(ResourceType.Secrets), TimeSpan.Zero, NullLogger.Instance)
        {
            Transform = CacheTransforms.Compact,
        };
        using var stop = new CancellationTokenSource();
        var run = informer.RunAsync(stop.Token);
        await informer.WaitForSyncAsync(stop.Token).WaitAsync(TimeSpan.FromSeconds(10));
        var key = new ObjectKey("app", "kept");
        var first = informer.Get(key)!;

        // A watch event brings fresh copies of everything; only the note changed.
        await _world.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"annotations":{"note":"second"}}}""", V1Patch.PatchType.MergePatch), "kept", "app");
        await Until(() => informer.Get(key)?.Metadata.Annotations["note"] == "second", "the annotation change in the cache");
        var second = informer.Get(key)!;
        Assert.NotSame(first, second);
        Assert.Same(first.Metadata.Name, second.Metadata.Name);
        Assert.Same(first.Metadata.Uid, second.Metadata.Uid);
        Assert.Same(first.Metadata.Labels, second.Metadata.Labels);
        Assert.NotSame(first.Metadata.Annotations, second.Metadata.Annotations);
        Assert.Same(first.Metadata.Annotations["quay.redhat.com/robot"], second.Metadata.Annotations["quay.redhat.com/robot"]);
        Assert.Equal("first", first.Metadata.Annotations["note"]); // the earlier version is never changed

        // Deleted and created again under the same name while the watch is broken, it replaces the cached one in the
        // relist: another object, whose UID is its own.
        _world.Server.Faults.CompactHistory();
        _world.Server.Faults.ExpireNextWatches(1, "secrets");
        _world.Server.Faults.DropWatches("secrets");
        await _world.Client.CoreV1.DeleteNamespacedSecretAsync("kept", "app");
        var recreated = await _world.Client.CoreV1.CreateNamespacedSecretAsync(Secret(), "app");
        await Until(() => informer.Get(key)?.Metadata.ResourceVersion == recreated.Metadata.ResourceVersion, "the new Secret in the cache");
        Assert.Equal(recreated.Metadata.Uid, informer.Get(key)!.Metadata.Uid);
        Assert.NotEqual(first.Metadata.Uid, recreated.Metadata.Uid);

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
