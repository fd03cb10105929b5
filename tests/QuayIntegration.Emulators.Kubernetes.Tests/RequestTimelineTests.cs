using QuayIntegration.Emulators.Kubernetes.Hosting;
using QuayIntegration.Emulators.Kubernetes.Tests.Support;

namespace QuayIntegration.Emulators.Kubernetes.Tests;

/// <summary>The request timeline: who asked what, when, in order of arrival; only while switched on. Own server: accounting is global.</summary>
public sealed class RequestTimelineTests : IAsyncLifetime
{
    private KubernetesApiServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var options = new ApiServerOptions();
        // Users that only tell clients apart, with the admin's rights (RBAC itself: AuthorizationTests).
        options.Users["token-a"] = new ApiUser("replica-a", ["system:masters", "system:authenticated"]);
        _server = await KubernetesApiServer.StartAsync(options);
        _client = ApiServerFixture.CreateHttpClient(_server.CaCertificatePem, _server.BaseUrl, "token-a");
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Requests_are_kept_with_their_arrival_time_in_order_only_while_the_timeline_is_on()
    {
        await _client.GetAsync("/api/v1/namespaces/default/configmaps"); // before: not kept
        _server.Requests.KeepTimeline = true;
        var before = DateTimeOffset.UtcNow;
        await _client.GetAsync("/api/v1/namespaces/default/secrets");
        await _client.GetAsync("/api/v1/namespaces/default/configmaps/missing");
        var after = DateTimeOffset.UtcNow;
        _server.Requests.KeepTimeline = false;
        await _client.GetAsync("/api/v1/namespaces"); // after: not kept

        var timeline = _server.Requests.Timeline();
        Assert.Equal(
            [new RecordedRequest("replica-a", "list", "", "secrets", null, "default"), new RecordedRequest("replica-a", "get", "", "configmaps", null, "default", "missing")],
            timeline.Select(t => t.Request));
        Assert.All(timeline, t => Assert.InRange(t.At, before, after));
        Assert.True(timeline[0].At <= timeline[1].At);

        _server.Requests.Reset();
        Assert.Empty(_server.Requests.Timeline());
    }
}
