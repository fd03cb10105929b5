using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using QuayIntegration.Runtime.Kube;
using QuayIntegration.Runtime.Tests.Support;
using QuayIntegration.Testing;

namespace QuayIntegration.Runtime.Tests.Integration;

/// <summary>
/// The request timeout of <see cref="KubeApi"/> on a fake clock, against the emulated API server whose stall holds the
/// requests of this client's user: every call but a watch ends by the timeout, as a timeout and not as a cancellation.
/// </summary>
public sealed class KubeApiTimeoutTests : IAsyncLifetime
{
    private const string User = "stalled-client";
    private const string Namespace = "app";
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RealWait = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private EmulatedApiServer _world = null!;
    private KubeApi _api = null!;

    public async Task InitializeAsync()
    {
        _world = await EmulatedApiServer.StartAsync();
        await _world.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } });
        await _world.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, Namespace);
        _api = _world.Server.KubeApiFor(User, RequestTimeout, _time);
    }

    public async Task DisposeAsync()
    {
        _world.Server.Faults.Reset();
        _api.Dispose();
        await _world.DisposeAsync();
    }

    private const string ObjectPath = "api/v1/namespaces/app/configmaps/c";
    private const string CollectionPath = "api/v1/namespaces/app/configmaps";

    public static TheoryData<string> Calls => ["get", "list", "create", "update", "patch", "delete"];

    private Task Call(string verb, CancellationToken ct) => verb switch
    {
        "get" => _api.GetAsync<V1ConfigMap>(ObjectPath, ct),
        "list" => _api.ListPageAsync<V1ConfigMap>(CollectionPath, null, null, null, ct),
        "create" => _api.CreateAsync(CollectionPath, new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "d" } }, ct),
        "update" => _api.ReplaceAsync(ObjectPath, new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "c" } }, ct),
        "patch" => _api.PatchAsync<V1ConfigMap>(ObjectPath, new V1Patch(new JsonObject { ["data"] = new JsonObject { ["k"] = "v" } }.ToJsonString(), V1Patch.PatchType.MergePatch), ct),
        "delete" => _api.DeleteAsync(ObjectPath, ct),
        _ => throw new ArgumentOutOfRangeException(nameof(verb)),
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_call_the_server_never_answers_fails_as_a_timeout_once_the_request_timeout_has_passed(string verb)
    {
        var stall = _world.Server.Faults.Stall(resource: "configmaps", verb: verb, user: User);
        var call = Call(verb, CancellationToken.None);
        await WhenHeld(stall);

        _time.Advance(RequestTimeout - TimeSpan.FromMilliseconds(1));
        await Task.Delay(TimeSpan.FromMilliseconds(200)); // room to give up too early, if it would
        Assert.False(call.IsCompleted, "gave up before the request timeout");

        _time.Advance(TimeSpan.FromMilliseconds(1));
        var e = await Assert.ThrowsAsync<KubeApiTimeoutException>(() => call.WaitAsync(RealWait));
        Assert.IsAssignableFrom<TimeoutException>(e);
        Assert.Equal(RequestTimeout, e.Timeout);
        Assert.Contains("within 30s (Operator:ApiRequestTimeout)", e.Message);
        Assert.Contains("/namespaces/app/configmaps", e.Message);
    }

    [Fact]
    public async Task The_callers_own_cancellation_stays_a_cancellation()
    {
        var stall = _world.Server.Faults.Stall(resource: "configmaps", user: User);
        using var shutdown = new CancellationTokenSource();
        var call = _api.GetAsync<V1ConfigMap>(ObjectPath, shutdown.Token);
        await WhenHeld(stall);

        await shutdown.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call.WaitAsync(RealWait));
    }

    [Fact]
    public async Task A_call_answered_in_time_is_unaffected_and_leaves_no_timeout_behind()
    {
        var map = await _api.GetAsync<V1ConfigMap>(ObjectPath, CancellationToken.None);
        Assert.Equal("c", map!.Metadata.Name);
        _time.Advance(10 * RequestTimeout);
        Assert.Null(await _api.GetAsync<V1ConfigMap>(CollectionPath + "/missing", CancellationToken.None));
    }

    [Fact]
    public async Task A_watch_is_not_cut_by_the_request_timeout()
    {
        var list = await _api.ListPageAsync<V1ConfigMap>(CollectionPath, null, null, null, CancellationToken.None);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var events = _api.WatchAsync<V1ConfigMap>(CollectionPath, null, list.ResourceVersion, TimeSpan.FromMinutes(5), stop.Token).GetAsyncEnumerator(stop.Token);
        var next = events.MoveNextAsync().AsTask();

        _time.Advance(10 * RequestTimeout);
        await _world.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "after" } }, Namespace);

        Assert.True(await next.WaitAsync(RealWait));
        Assert.Equal("after", events.Current.Object!.Metadata.Name);
    }

    [Fact]
    public void A_request_timeout_that_is_not_positive_is_refused_with_the_option_named()
    {
        var config = Kubeconfig.Load(_world.Server.KubeconfigFor(User, Path.GetTempPath()));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new KubeApi(config, TimeSpan.Zero, _time));
        Assert.Contains("(Operator:ApiRequestTimeout) must be positive", e.Message);
    }

    private static Task WhenHeld(QuayIntegration.Emulators.Kubernetes.Hosting.RequestStall stall) =>
        Polling.Eventually(() => Task.FromResult(stall.Held > 0), "the request reached the stalled server", RealWait);
}
