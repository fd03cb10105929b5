using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

public sealed class WatchTests(ApiServerFixture f) : IClassFixture<ApiServerFixture>
{
    private k8s.Kubernetes K => f.Client;

    /// <summary>Reads raw watch lines (the wire format) until <paramref name="count"/> events arrived or the stream ended.</summary>
    private async Task<List<JsonObject>> ReadEventsAsync(string path, int count, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        using var response = await f.Http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
        var events = new List<JsonObject>();
        try
        {
            while (events.Count < count && await reader.ReadLineAsync(cts.Token) is { } line)
                events.Add(JsonNode.Parse(line)!.AsObject());
        }
        catch (OperationCanceledException) { }
        return events;
    }

    [Fact]
    public async Task Watch_without_version_sends_synthetic_ADDED_then_changes_in_order()
    {
        var ns = await f.CreateNamespaceAsync();
        await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, ns);
        var events = new List<(WatchEventType, string)>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, item) in K.CoreV1.WatchListNamespacedConfigMapAsync(ns, cancellationToken: cts.Token))
            {
                lock (events) events.Add((type, item.Metadata.Name));
                if (type == WatchEventType.Deleted) break;
            }
        });
        await Eventually.TrueAsync(() => Task.FromResult(events.Count == 1), because: "synthetic ADDED");
        await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "b" } }, ns);
        await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"x\":\"1\"}}", V1Patch.PatchType.MergePatch), "b", ns);
        await K.CoreV1.DeleteNamespacedConfigMapAsync("b", ns);
        await watching;
        Assert.Equal([(WatchEventType.Added, "a"), (WatchEventType.Added, "b"), (WatchEventType.Modified, "b"), (WatchEventType.Deleted, "b")], events);
    }

    [Fact]
    public async Task Watch_from_a_version_replays_only_later_changes_and_DELETED_carries_a_new_version()
    {
        var ns = await f.CreateNamespaceAsync();
        var a = await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "a" } }, ns);
        await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "b" } }, ns);
        await K.CoreV1.DeleteNamespacedConfigMapAsync("a", ns);
        var events = await ReadEventsAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={a.Metadata.ResourceVersion}", 2);
        Assert.Equal(["ADDED", "DELETED"], events.Select(e => (string)e["type"]!));
        Assert.Equal("b", (string)events[0]["object"]!["metadata"]!["name"]!);
        Assert.Equal("ConfigMap", (string)events[0]["object"]!["kind"]!);
        Assert.Equal("v1", (string)events[0]["object"]!["apiVersion"]!);
        Assert.True(long.Parse((string)events[1]["object"]!["metadata"]!["resourceVersion"]!) > long.Parse((string)events[0]["object"]!["metadata"]!["resourceVersion"]!));
    }

    [Fact]
    public async Task Selector_watch_turns_leaving_and_entering_into_DELETED_and_ADDED()
    {
        var ns = await f.CreateNamespaceAsync();
        var start = (await K.CoreV1.ListNamespacedConfigMapAsync(ns)).Metadata.ResourceVersion;
        await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "s", Labels = new Dictionary<string, string> { ["app"] = "x" } } }, ns);
        await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"metadata\":{\"labels\":{\"app\":\"y\"}}}", V1Patch.PatchType.MergePatch), "s", ns);
        await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"metadata\":{\"labels\":{\"app\":\"x\"}}}", V1Patch.PatchType.MergePatch), "s", ns);
        var events = await ReadEventsAsync($"/api/v1/namespaces/{ns}/configmaps?watch=1&labelSelector=app%3Dx&resourceVersion={start}", 3);
        Assert.Equal(["ADDED", "DELETED", "ADDED"], events.Select(e => (string)e["type"]!));
    }

    [Fact]
    public async Task Bookmarks_carry_only_the_resourceVersion_and_timeoutSeconds_ends_the_stream()
    {
        var ns = await f.CreateNamespaceAsync();
        var rv = (await K.CoreV1.ListNamespacedSecretAsync(ns)).Metadata.ResourceVersion;
        var started = DateTime.UtcNow;
        var events = await ReadEventsAsync($"/api/v1/namespaces/{ns}/secrets?watch=true&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion={rv}", 100, TimeSpan.FromSeconds(10));
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(5), "timeoutSeconds should end the watch");
        var bookmark = events.First(e => (string)e["type"]! == "BOOKMARK");
        var obj = bookmark["object"]!.AsObject();
        Assert.Equal("Secret", (string)obj["kind"]!);
        Assert.Equal(["resourceVersion"], obj["metadata"]!.AsObject().Select(p => p.Key));
    }

    /// <summary>
    /// A watch that lags (an API server whose watch cache is behind) delivers each change at least the lag after it was
    /// committed, in order; a bookmark never vouches for a version whose change it has not sent yet.
    /// </summary>
    [Fact]
    public async Task A_lagging_watch_delivers_changes_that_much_later_in_order_and_bookmarks_stay_behind_them()
    {
        var ns = await f.CreateNamespaceAsync();
        var rv = (await K.CoreV1.ListNamespacedConfigMapAsync(ns)).Metadata.ResourceVersion;
        var lag = TimeSpan.FromMilliseconds(800);
        f.Server.Faults.SetWatchLag("configmaps", lag);
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            using var response = await f.Http.GetAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true&allowWatchBookmarks=true&resourceVersion={rv}",
                HttpCompletionOption.ResponseHeadersRead, cts.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
            var committed = DateTimeOffset.UtcNow;
            var created = await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "late" } }, ns);
            var patched = await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("{\"data\":{\"x\":\"1\"}}", V1Patch.PatchType.MergePatch), "late", ns);

            var changes = new List<(string Type, long Version, DateTimeOffset Arrived)>();
            var bookmarks = new List<long>();
            while (changes.Count < 2 && await reader.ReadLineAsync(cts.Token) is { } line)
            {
                var e = JsonNode.Parse(line)!.AsObject();
                var version = long.Parse((string)e["object"]!["metadata"]!["resourceVersion"]!);
                if ((string)e["type"]! == "BOOKMARK")
                {
                    if (changes.Count == 0) bookmarks.Add(version);
                }
                else changes.Add(((string)e["type"]!, version, DateTimeOffset.UtcNow));
            }
            Assert.Equal(["ADDED", "MODIFIED"], changes.Select(c => c.Type));
            Assert.Equal([long.Parse(created.Metadata.ResourceVersion), long.Parse(patched.Metadata.ResourceVersion)], changes.Select(c => c.Version));
            Assert.True(changes[0].Arrived - committed >= lag - TimeSpan.FromMilliseconds(50), $"the change arrived {(changes[0].Arrived - committed).TotalMilliseconds} ms after its commit");
            Assert.All(bookmarks, b => Assert.True(b < changes[0].Version, $"a bookmark at {b} ran ahead of the change at {changes[0].Version}"));
        }
        finally
        {
            f.Server.Faults.SetWatchLag("configmaps", TimeSpan.Zero);
        }
    }

    /// <summary>A dropped watch connection loses what it had not sent yet; a client resuming from its last version gets it again.</summary>
    [Fact]
    public async Task A_dropped_watch_loses_the_events_still_on_their_way()
    {
        var ns = await f.CreateNamespaceAsync();
        var rv = (await K.CoreV1.ListNamespacedConfigMapAsync(ns)).Metadata.ResourceVersion;
        f.Server.Faults.SetWatchLag("configmaps", TimeSpan.FromSeconds(2));
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            using var response = await f.Http.GetAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={rv}", HttpCompletionOption.ResponseHeadersRead, cts.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
            await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "lost" } }, ns);
            await Task.Delay(200);
            f.Server.Faults.DropWatches("configmaps");
            Assert.Null(await reader.ReadLineAsync(cts.Token)); // the stream ended without the event
        }
        finally
        {
            f.Server.Faults.SetWatchLag("configmaps", TimeSpan.Zero);
        }
        var replayed = await ReadEventsAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={rv}", 1);
        Assert.Equal("lost", (string?)replayed.Single()["object"]!["metadata"]!["name"]);
    }

    [Fact]
    public async Task Expired_version_yields_one_ERROR_event_with_410_Expired()
    {
        var ns = await f.CreateNamespaceAsync();
        var rv = (await K.CoreV1.ListNamespacedSecretAsync(ns)).Metadata.ResourceVersion;
        await K.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "later" } }, ns);
        f.Server.Faults.CompactHistory();
        var events = await ReadEventsAsync($"/api/v1/namespaces/{ns}/secrets?watch=true&resourceVersion={rv}", 5);
        var error = Assert.Single(events);
        Assert.Equal("ERROR", (string)error["type"]!);
        Assert.Equal(410, (int)error["object"]!["code"]!);
        Assert.Equal("Expired", (string)error["object"]!["reason"]!);
        Assert.StartsWith($"too old resource version: {rv} (", (string)error["object"]!["message"]!);
    }

    [Fact]
    public async Task Injected_watch_expiry_and_KubernetesClient_reports_it()
    {
        var ns = await f.CreateNamespaceAsync();
        f.Server.Faults.ExpireNextWatches(1, "serviceaccounts");
        var errors = new List<Exception>();
        await foreach (var _ in K.CoreV1.WatchListNamespacedServiceAccountAsync(ns, resourceVersion: "5", onError: errors.Add))
        {
        }
        var e = Assert.IsType<KubernetesException>(Assert.Single(errors));
        Assert.Equal(410, e.Status.Code);
    }

    /// <summary>
    /// A client that lists, then watches from the list's resourceVersion and resumes from the last seen version after
    /// every dropped connection, sees each change exactly once while writers keep changing things.
    /// </summary>
    [Fact]
    public async Task List_then_watch_sees_every_change_exactly_once_across_reconnects()
    {
        var ns = await f.CreateNamespaceAsync();
        for (var i = 0; i < 5; i++) await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = $"seed{i}" } }, ns);
        var list = await K.CoreV1.ListNamespacedConfigMapAsync(ns);
        var state = list.Items.ToDictionary(c => c.Metadata.Name, c => c.Metadata.ResourceVersion);
        var lastVersion = list.Metadata.ResourceVersion;
        var seenVersions = new List<string>();
        const int Writes = 150;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var writer = Task.Run(async () =>
        {
            for (var i = 0; i < Writes; i++)
            {
                var name = $"c{i % 10}";
                if (i % 3 == 0 && state.ContainsKey(name) is var _)
                {
                    try { await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name } }, ns); }
                    catch (k8s.Autorest.HttpOperationException) { await K.CoreV1.DeleteNamespacedConfigMapAsync(name, ns); }
                }
                else
                {
                    try { await K.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch($"{{\"data\":{{\"i\":\"{i}\"}}}}", V1Patch.PatchType.MergePatch), name, ns); }
                    catch (k8s.Autorest.HttpOperationException) { await K.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name } }, ns); }
                }
                if (i % 25 == 0) f.Server.Faults.DropWatches("configmaps");
            }
        });

        var reconnects = 0;
        while (!cts.IsCancellationRequested)
        {
            await foreach (var (type, cm) in K.CoreV1.WatchListNamespacedConfigMapAsync(ns, resourceVersion: lastVersion, allowWatchBookmarks: true, cancellationToken: cts.Token))
            {
                lastVersion = cm.Metadata.ResourceVersion;
                if (type != WatchEventType.Bookmark)
                {
                    seenVersions.Add(cm.Metadata.ResourceVersion);
                    if (type == WatchEventType.Deleted) state.Remove(cm.Metadata.Name);
                    else state[cm.Metadata.Name] = cm.Metadata.ResourceVersion;
                }
                if (writer.IsCompleted && seenVersions.Count >= Writes) break;
            }
            if (writer.IsCompleted && seenVersions.Count >= Writes) break;
            reconnects++;
        }
        await writer;
        var final = await K.CoreV1.ListNamespacedConfigMapAsync(ns);
        Assert.Equal(final.Items.ToDictionary(c => c.Metadata.Name, c => c.Metadata.ResourceVersion), state);
        Assert.False(cts.IsCancellationRequested, "watcher did not converge");
        Assert.True(reconnects >= 2, "the test should have reconnected");
        Assert.Equal(seenVersions.Count, seenVersions.Distinct().Count());
        Assert.Equal(Writes, seenVersions.Count);
    }
}
