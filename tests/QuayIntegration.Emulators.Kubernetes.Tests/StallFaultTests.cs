using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>
/// Stalls: requests of one resource, verb, namespace and user held until released (a connection that stops answering)
/// or for a while (a slow one), switched on and off while clients run. Own server per test: stalls and users are global.
/// </summary>
public sealed class StallFaultTests : IAsyncLifetime
{
    private const string LeasePath = "/apis/coordination.k8s.io/v1/namespaces/ops/leases";
    /// <summary>Long enough for a request that is not held to have been answered many times over.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);
    /// <summary>How long a request that must not be held may take before the test calls it held.</summary>
    private static readonly TimeSpan Answered = TimeSpan.FromSeconds(5);
    private KubernetesApiServer _server = null!;
    private HttpClient _a = null!;
    private HttpClient _b = null!;

    public async Task InitializeAsync()
    {
        var options = new ApiServerOptions();
        // Users that only tell clients apart, with the admin's rights (RBAC itself: AuthorizationTests).
        options.Users["token-a"] = new ApiUser("replica-a", ["system:masters", "system:authenticated"]);
        options.Users["token-b"] = new ApiUser("replica-b", ["system:masters", "system:authenticated"]);
        _server = await KubernetesApiServer.StartAsync(options);
        _a = ApiServerFixture.CreateHttpClient(_server.CaCertificatePem, _server.BaseUrl, "token-a");
        _b = ApiServerFixture.CreateHttpClient(_server.CaCertificatePem, _server.BaseUrl, "token-b");
        foreach (var ns in new[] { "ops", "other" })
            Assert.Equal(201, (int)(await _b.PostAsync("/api/v1/namespaces", Json($$$"""{"metadata":{"name":"{{{ns}}}"}}"""))).StatusCode);
        Assert.Equal(201, (int)(await _b.PostAsync(LeasePath, Json("""{"metadata":{"name":"lock"},"spec":{"holderIdentity":"replica-b"}}"""))).StatusCode);
    }

    public async Task DisposeAsync()
    {
        _a.Dispose();
        _b.Dispose();
        await _server.DisposeAsync();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    [Fact]
    public async Task A_stall_holds_only_the_matching_users_requests_until_it_is_released()
    {
        var stall = _server.Faults.Stall(resource: "leases", ns: "ops", user: "replica-a");

        var heldGet = _a.GetAsync(LeasePath + "/lock");
        Assert.Equal(200, (int)(await _b.GetAsync(LeasePath + "/lock").WaitAsync(Answered)).StatusCode); // another user: not held
        Assert.Equal(200, (int)(await _a.GetAsync("/apis/coordination.k8s.io/v1/namespaces/other/leases").WaitAsync(Answered)).StatusCode); // another namespace
        Assert.Equal(200, (int)(await _a.GetAsync("/api/v1/namespaces/ops/configmaps").WaitAsync(Answered)).StatusCode); // another resource
        await Task.Delay(Settle);
        Assert.False(heldGet.IsCompleted, "the stalled user's lease GET was answered");
        Assert.Equal(1, stall.Held);

        stall.Release();
        Assert.Equal(200, (int)(await heldGet.WaitAsync(Answered)).StatusCode);
        Assert.Equal(200, (int)(await _a.GetAsync(LeasePath + "/lock")).StatusCode); // released: no longer matches
        Assert.Equal(1, stall.Held);
    }

    [Fact]
    public async Task A_stall_of_one_verb_lets_the_others_through()
    {
        var stall = _server.Faults.Stall(resource: "leases.coordination.k8s.io", verb: "update");
        var lease = JsonNode.Parse(await _a.GetStringAsync(LeasePath + "/lock"))!;
        var heldPut = _a.PutAsync(LeasePath + "/lock", Json(lease.ToJsonString()));
        await Task.Delay(Settle);
        Assert.False(heldPut.IsCompleted, "the stalled update was answered");
        Assert.Equal(200, (int)(await _a.GetAsync(LeasePath + "/lock").WaitAsync(Answered)).StatusCode);
        stall.Release();
        Assert.Equal(200, (int)(await heldPut.WaitAsync(Answered)).StatusCode);
    }

    [Fact]
    public async Task A_stalled_write_its_client_gave_up_on_is_still_carried_out_when_released_and_conflicts_if_stale()
    {
        // As on a real server, a write whose client timed out may still be applied: only its resourceVersion stops it.
        var stall = _server.Faults.Stall(resource: "leases", verb: "update", user: "replica-a");
        var lease = JsonNode.Parse(await _a.GetStringAsync(LeasePath + "/lock"))!;
        lease["spec"]!["holderIdentity"] = "replica-a";
        using (var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(300)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _a.PutAsync(LeasePath + "/lock", Json(lease.ToJsonString()), giveUp.Token));
        await Eventually.TrueAsync(() => Task.FromResult(stall.Held == 1), because: "the abandoned PUT reached the stall");
        var taken = JsonNode.Parse(await _b.GetStringAsync(LeasePath + "/lock"))!;
        taken["spec"]!["holderIdentity"] = "replica-c";
        Assert.Equal(200, (int)(await _b.PutAsync(LeasePath + "/lock", Json(taken.ToJsonString())).WaitAsync(Answered)).StatusCode);

        stall.Release();
        await Task.Delay(Settle);
        Assert.Equal("replica-c", _server.Peek("coordination.k8s.io", "leases", "ops", "lock")!["spec"]!["holderIdentity"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_stall_with_a_duration_delays_each_matching_request_by_it()
    {
        _server.Faults.Stall(resource: "leases", verb: "get", duration: TimeSpan.FromMilliseconds(400));
        var started = DateTime.UtcNow;
        Assert.Equal(200, (int)(await _a.GetAsync(LeasePath + "/lock")).StatusCode);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(350), $"answered after {DateTime.UtcNow - started}");
    }

    [Fact]
    public async Task Reset_releases_every_stall()
    {
        _server.Faults.Stall(user: "replica-a");
        var held = _a.GetAsync(LeasePath + "/lock");
        await Task.Delay(Settle);
        Assert.False(held.IsCompleted);
        _server.Faults.Reset();
        Assert.Equal(200, (int)(await held.WaitAsync(Answered)).StatusCode);
    }

    [Fact]
    public void A_stall_duration_that_is_not_positive_is_refused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _server.Faults.Stall(duration: TimeSpan.Zero));
        Assert.Contains("must be positive", e.Message);
    }
}
