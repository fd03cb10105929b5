using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.AspNetCore.Http;
using QuayIntegration.Operator.Tests.Support;

namespace QuayIntegration.Operator.Tests.Integration;

/// <summary>
/// Where the operator's HTTP requests run (<c>Hosting/IoScheduling</c>), seen from inside the process through ASP.NET
/// Core's own diagnostics: a review on a kept-alive webhook connection runs on the socket engine's thread, with no
/// hand-off to the thread pool; the probes and metrics, on the other listener, stay on the pool; and a denial, whose
/// log line is written synchronously, is logged from the pool.
/// </summary>
[Collection(ProcessWideCollection.Name)]
public sealed class WebhookIoSchedulingTests(ServedWebhookWithDebugLog served) : IClassFixture<ServedWebhookWithDebugLog>
{
    private const string SocketEngineThread = ".NET Sockets";

    private sealed record Seen(string Path, string Connection, string? Thread, bool OnPool);

    /// <summary>Records the thread each request of this operator starts on (the process hosts the emulators' servers too).</summary>
    private sealed class RequestThreads : IObserver<DiagnosticListener>, IObserver<KeyValuePair<string, object?>>, IDisposable
    {
        private readonly int[] _ports;
        private readonly IDisposable _all;
        private readonly ConcurrentBag<IDisposable> _subscriptions = [];
        public ConcurrentQueue<Seen> Requests { get; } = new();

        public RequestThreads(params int[] ports)
        {
            _ports = ports;
            _all = DiagnosticListener.AllListeners.Subscribe(this);
        }

        public void OnNext(DiagnosticListener listener)
        {
            if (listener.Name == "Microsoft.AspNetCore")
                _subscriptions.Add(listener.Subscribe(this, name => name.StartsWith("Microsoft.AspNetCore.Hosting.HttpRequestIn", StringComparison.Ordinal)));
        }

        public void OnNext(KeyValuePair<string, object?> e)
        {
            if (e.Key == "Microsoft.AspNetCore.Hosting.HttpRequestIn.Start" && e.Value is HttpContext context && _ports.Contains(context.Connection.LocalPort))
                Requests.Enqueue(new Seen(context.Request.Path.Value ?? "", context.Connection.Id, Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));
        }

        public void OnCompleted() { }
        public void OnError(Exception error) { }

        public void Dispose()
        {
            _all.Dispose();
            foreach (var subscription in _subscriptions) subscription.Dispose();
        }
    }

    [Fact]
    public async Task Reviews_on_a_kept_alive_connection_run_on_the_socket_engines_thread_and_the_probes_on_the_pool()
    {
        using var seen = new RequestThreads(new Uri(served.WebhookUrl).Port, new Uri(served.Operator.BaseUrl).Port);
        using (var webhook = served.Client())
        {
            for (var i = 0; i < 6; i++)
            {
                using var content = new StringContent(ServedWebhook.BuildReview($"u-io-{i}", BuildWebhookTests.ImageStreamTagOutput("app:v1")).ToJsonString());
                using var answer = await webhook.PostAsync(served.ReviewUrl, content);
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
                // A request already there when the connection's read loop reads again, its previous answer just sent, is
                // read at once by that loop on whatever thread it runs: no event, so no hand-off either way (seen on a busy
                // machine). The pause lets the connection go idle first, as between an API server's calls.
                await Task.Delay(100);
            }
        }
        using (var probes = new HttpClient())
        {
            for (var i = 0; i < 3; i++)
            {
                using var answer = await probes.GetAsync(served.Operator.BaseUrl + "/healthz");
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            }
        }

        var reviews = seen.Requests.Where(r => r.Path == "/admissionwebhook").ToList();
        var health = seen.Requests.Where(r => r.Path == "/healthz").ToList();
        Assert.Equal(6, reviews.Count);
        Assert.Equal(3, health.Count);
        // The first request of a connection may still be handed over (its read was pending when the switch was set);
        // the ones after it arrive on a connection already switched. HttpClient may open a second connection when the
        // first is not back in its pool yet (a busy machine), so each connection is judged on its own.
        var later = reviews.GroupBy(r => r.Connection).SelectMany(c => c.Skip(1)).ToList();
        Assert.True(later.Count >= 3, $"{reviews.Select(r => r.Connection).Distinct().Count()} connections for 6 reviews: too few kept alive to judge");
        Assert.True(later.All(r => r.Thread == SocketEngineThread && !r.OnPool),
            "reviews ran on: " + string.Join(", ", reviews.Select(r => $"{r.Connection}: {r.Thread ?? "(unnamed)"}{(r.OnPool ? " (pool)" : "")}")));
        Assert.All(health, r => Assert.True(r.OnPool, $"/healthz ran on {r.Thread ?? "(unnamed)"}, not a pool thread"));
    }

    [Fact]
    public async Task Denials_on_a_kept_alive_connection_are_logged_from_the_thread_pool()
    {
        var logged = served.Log.Events.Count;
        using (var webhook = served.Client())
        {
            for (var i = 0; i < 4; i++)
            {
                // A namespace no Kubernetes object can have: the webhook denies the review and logs one Information line.
                var review = ServedWebhook.BuildReview($"u-io-deny-{i}", BuildWebhookTests.ImageStreamTagOutput("app:v1"));
                review["request"]!["namespace"] = "Not_A_Namespace";
                using var content = new StringContent(review.ToJsonString());
                using var answer = await webhook.PostAsync(served.ReviewUrl, content);
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
                Assert.Contains("\"allowed\":false", await answer.Content.ReadAsStringAsync());
            }
        }
        var denials = served.Log.Events.Skip(logged).Where(e => CapturedLog.Render(e).Contains("Denied", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, denials.Count);
        // The console sink writes synchronously; on the socket engine's thread a stalled stdout would stall every connection.
        Assert.All(denials, e => Assert.NotEqual(SocketEngineThread, CapturedLog.ThreadOf(e)));
    }
}
