using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s;
using QuayIntegration.Emulators.Cluster.Builds;
using QuayIntegration.Emulators.Cluster.Cli;
using QuayIntegration.Emulators.Cluster.Infrastructure;
using static QuayIntegration.Emulators.Cluster.Tests.ClusterTestSupport;

namespace QuayIntegration.Emulators.Cluster.Tests;

/// <summary>The build runner driving Builds made by <c>oc new-app</c>/<c>start-build</c> or posted directly.</summary>
public sealed class BuildRunnerTests
{
    [Fact]
    public async Task NewApp_FirstBuild_GoesNewPendingRunningComplete_AndLandsInTheImageStream()
    {
        await using var cluster = await StartClusterAsync();
        var ns = UniqueName("app");
        await cluster.Oc.NewProjectAsync(ns);
        await using var phases = await BuildPhaseRecorder.StartAsync(cluster.Client, ns);

        var app = await cluster.Oc.NewAppAsync(ns, AppTemplate.HttpdExample);

        Assert.Equal("httpd-example-1", app.Build.Name());
        Assert.Equal("New", app.Build.Str("status", "phase"));
        var build = await cluster.Oc.WaitForBuildPhaseAsync(ns, "httpd-example-1", "Complete", WaitTimeout);

        // The watch may deliver the last phase a moment after the poll above saw it.
        Assert.Equal(["New", "Pending", "Running", "Complete"], await phases.PhasesOfAsync("httpd-example-1", until: "Complete"));
        Assert.Equal($"image-registry.openshift-image-registry.svc:5000/{ns}/httpd-example:latest", build.Str("status", "outputDockerImageReference"));
        Assert.Equal("httpd-example-1-build", build.Str("metadata", "annotations", BuildStatusChanges.PodNameAnnotation));
        Assert.NotNull(build.Str("status", "startTimestamp"));
        Assert.NotNull(build.Str("status", "completionTimestamp"));
        Assert.True(build.At("status", "duration")!.GetValue<long>() > 0);
        var conditions = build.At("status", "conditions")!.AsArray().OfType<JsonObject>().ToDictionary(c => c.Str("type")!, c => c.Str("status"));
        Assert.Equal(new Dictionary<string, string?> { ["New"] = "False", ["Pending"] = "False", ["Running"] = "False", ["Complete"] = "True" }, conditions);

        var digest = build.Str("status", "output", "to", "imageDigest");
        Assert.Matches("^sha256:[0-9a-f]{64}$", digest);
        var stream = await cluster.Oc.GetImageStreamAsync(ns, "httpd-example");
        var latest = stream!.At("status", "tags")!.AsArray().OfType<JsonObject>().Single(t => t.Str("tag") == "latest");
        var newest = (JsonObject)latest["items"]!.AsArray()[0]!;
        Assert.Equal(digest, newest.Str("image"));
        Assert.Equal($"image-registry.openshift-image-registry.svc:5000/{ns}/httpd-example@{digest}", newest.Str("dockerImageReference"));
    }

    [Fact]
    public async Task SecondBuild_IsNewestInTheTagHistory()
    {
        await using var cluster = await StartClusterAsync();
        var ns = UniqueName("again");
        await cluster.Oc.NewProjectAsync(ns);
        await cluster.Oc.NewAppAsync(ns, AppTemplate.HttpdExample);
        var first = await cluster.Oc.WaitForBuildPhaseAsync(ns, "httpd-example-1", "Complete", WaitTimeout);

        var second = await cluster.Oc.StartBuildAsync(ns, "httpd-example");
        Assert.Equal("httpd-example-2", second.Name());
        var done = await cluster.Oc.WaitForBuildPhaseAsync(ns, "httpd-example-2", "Complete", WaitTimeout);

        var stream = await cluster.Oc.GetImageStreamAsync(ns, "httpd-example");
        var items = stream!.At("status", "tags")!.AsArray().OfType<JsonObject>().Single(t => t.Str("tag") == "latest")["items"]!.AsArray();
        Assert.Equal(new[] { done.Str("status", "output", "to", "imageDigest"), first.Str("status", "output", "to", "imageDigest") },
            items.Select(i => i.Str("image")).ToArray());
        Assert.NotEqual(items[0].Str("image"), items[1].Str("image"));
    }

    [Fact]
    public async Task BuildWithoutOutput_JustCompletes()
    {
        await using var cluster = await StartClusterAsync();
        var ns = UniqueName("noout");
        await cluster.Oc.NewProjectAsync(ns);

        await CreateBuildAsync(cluster, ns, "plain", output: null);

        var build = await cluster.Oc.WaitForBuildPhaseAsync(ns, "plain", "Complete", WaitTimeout);
        Assert.Null(build.Str("status", "outputDockerImageReference"));
        Assert.Null(build.At("status", "output"));
    }

    [Fact]
    public async Task OutputToAMissingImageStream_StaysNew_WithInvalidOutputReference_UntilTheStreamExists()
    {
        await using var cluster = await StartClusterAsync();
        var ns = UniqueName("nostream");
        await cluster.Oc.NewProjectAsync(ns);

        await CreateBuildAsync(cluster, ns, "orphan", new JsonObject { ["to"] = new JsonObject { ["kind"] = "ImageStreamTag", ["name"] = "later:v1" } });

        var waiting = await WaitForAsync(async ct =>
        {
            var build = await cluster.Oc.GetBuildAsync(ns, "orphan", ct);
            return build?.Str("status", "reason") == BuildRunner.InvalidOutputReferenceReason ? build : null;
        }, "the InvalidOutputReference reason");
        Assert.Equal("New", waiting.Str("status", "phase"));

        await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync(new JsonObject
        {
            ["apiVersion"] = "image.openshift.io/v1",
            ["kind"] = "ImageStream",
            ["metadata"] = new JsonObject { ["name"] = "later" },
        }, "image.openshift.io", "v1", ns, "imagestreams");

        var build = await cluster.Oc.WaitForBuildPhaseAsync(ns, "orphan", "Complete", WaitTimeout);
        Assert.Equal($"image-registry.openshift-image-registry.svc:5000/{ns}/later:v1", build.Str("status", "outputDockerImageReference"));
        Assert.Null(build.Str("status", "reason"));
    }

    [Fact]
    public async Task WithoutAnIntegratedRegistry_ImageStreamTagOutputsCannotBeResolved()
    {
        await using var cluster = await StartClusterAsync(o => o.InternalRegistryHostname = null);
        var ns = UniqueName("noreg");
        await cluster.Oc.NewProjectAsync(ns);

        await cluster.Oc.NewAppAsync(ns, AppTemplate.HttpdExample);

        var waiting = await WaitForAsync(async ct =>
        {
            var build = await cluster.Oc.GetBuildAsync(ns, "httpd-example-1", ct);
            return build?.Str("status", "reason") == BuildRunner.InvalidOutputReferenceReason ? build : null;
        }, "the InvalidOutputReference reason");
        Assert.Equal("New", waiting.Str("status", "phase"));
        Assert.Equal("", (await cluster.Oc.GetImageStreamAsync(ns, "httpd-example"))!.Str("status", "dockerImageRepository"));
    }

    [Fact]
    public async Task CancelledBuild_EndsCancelled()
    {
        await using var cluster = await StartClusterAsync(o => o.BuildTimings.Running = TimeSpan.FromSeconds(30));
        var ns = UniqueName("cancel");
        await cluster.Oc.NewProjectAsync(ns);
        await CreateBuildAsync(cluster, ns, "long", output: null);
        var running = await cluster.Oc.WaitForBuildPhaseAsync(ns, "long", "Running", WaitTimeout);

        running.Ensure("status")["cancelled"] = true;
        await cluster.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync(running, "build.openshift.io", "v1", ns, "builds", "long");

        var cancelled = await cluster.Oc.WaitForBuildPhaseAsync(ns, "long", "Cancelled", WaitTimeout);
        Assert.Equal(BuildRunner.CancelledBuildReason, cancelled.Str("status", "reason"));
    }

    internal static Task<JsonObject> CreateBuildAsync(EmulatedCluster cluster, string ns, string name, JsonObject? output, string? serviceAccount = null)
    {
        var spec = new JsonObject
        {
            ["source"] = new JsonObject { ["type"] = "Git", ["git"] = new JsonObject { ["uri"] = "https://github.com/sclorg/httpd-ex.git" } },
            ["strategy"] = new JsonObject
            {
                ["type"] = "Source",
                ["sourceStrategy"] = new JsonObject { ["from"] = new JsonObject { ["kind"] = "DockerImage", ["name"] = "registry.access.redhat.com/ubi8/httpd-24:latest" } },
            },
        };
        if (output is not null)
        {
            spec["output"] = output;
        }
        if (serviceAccount is not null)
        {
            spec["serviceAccount"] = serviceAccount;
        }
        return cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync<JsonObject>(new JsonObject
        {
            ["apiVersion"] = "build.openshift.io/v1",
            ["kind"] = "Build",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = spec,
        }, "build.openshift.io", "v1", ns, "builds");
    }
}

/// <summary>Records, per build, the sequence of phases seen through a watch of the namespace's builds.</summary>
public sealed class BuildPhaseRecorder : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, List<string>> _phases = new();
    private Task _watching = Task.CompletedTask;

    public static async Task<BuildPhaseRecorder> StartAsync(IKubernetes client, string ns)
    {
        var recorder = new BuildPhaseRecorder();
        var list = await client.CustomObjects.ListNamespacedCustomObjectAsync<JsonObject>("build.openshift.io", "v1", ns, "builds");
        var watch = client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync<JsonObject>("build.openshift.io", "v1", ns, "builds",
            watch: true, resourceVersion: list.Str("metadata", "resourceVersion"), cancellationToken: recorder._stop.Token);
        recorder._watching = Task.Run(async () =>
        {
#pragma warning disable CS0618 // the list-based watch is the typed watch this client offers
            await foreach (var (_, build) in watch.WatchAsync<JsonObject, JsonObject>(cancellationToken: recorder._stop.Token))
#pragma warning restore CS0618
            {
                var seen = recorder._phases.GetOrAdd(build.Name(), _ => []);
                var phase = build.Str("status", "phase") ?? "";
                lock (seen)
                {
                    if (seen.Count == 0 || seen[^1] != phase)
                    {
                        seen.Add(phase);
                    }
                }
            }
        });
        return recorder;
    }

    /// <summary>The phases seen, once the watch delivered <paramref name="until"/> (or after 10 s, to fail with what it saw).</summary>
    public async Task<string[]> PhasesOfAsync(string build, string until)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!PhasesOf(build).Contains(until) && DateTime.UtcNow < deadline) await Task.Delay(20);
        return PhasesOf(build);
    }

    public string[] PhasesOf(string build)
    {
        var seen = _phases.GetValueOrDefault(build) ?? [];
        lock (seen)
        {
            return [.. seen];
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _watching;
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
        {
        }
        _stop.Dispose();
    }
}
