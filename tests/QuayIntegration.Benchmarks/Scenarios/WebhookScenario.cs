using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using QuayIntegration.Benchmarks.Framework;
using QuayIntegration.Benchmarks.Measuring;
using QuayIntegration.Benchmarks.Operator;
using QuayIntegration.Benchmarks.World;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Benchmarks.Scenarios;

/// <summary>
/// Issue 7, scenario 4: AdmissionReviews (a Build CREATE in a managed namespace) posted over TLS with keep-alive to the
/// operator's /admissionwebhook: first open-loop at a fixed rate (latency counted from each request's scheduled time,
/// so queueing is not hidden), then closed-loop with many connections to find the highest rate it sustains.
/// When the endpoint refuses connections or answers 404, the scenario says the webhook is not available in this
/// operator build and reports no latency.
/// </summary>
public sealed class WebhookScenario : IScenario
{
    private const string WebhookPath = "/admissionwebhook";

    public string Name => "webhook";

    public string Description => "AdmissionReview latency and throughput of the operator's webhook over TLS";

    public IReadOnlyList<(string Option, string Help)> OptionHelp =>
    [
        ("rate <r>", "fixed rate, requests/s (default 1000; smoke 50)"),
        ("duration <s>", "seconds at the fixed rate (default 30; smoke 2)"),
        ("max-duration <s>", "seconds of the closed-loop maximum-rate run (default 10; smoke 1)"),
        ("connections <n>", "concurrent connections of the closed loop (default 64; smoke 4)"),
        ("namespaces <N>", "managed namespaces in the world (default 20; smoke 1)"),
        .. OperatorRunOptions.Help,
    ];

    public async Task<ScenarioResult> RunAsync(ScenarioOptions options, CancellationToken ct)
    {
        var run = OperatorRunOptions.Read(options, defaultLatencyMs: 0);
        var rate = options.Double("rate", run.Smoke ? 50 : 1000);
        var duration = TimeSpan.FromSeconds(options.Double("duration", run.Smoke ? 2 : 30));
        var maxDuration = TimeSpan.FromSeconds(options.Double("max-duration", run.Smoke ? 1 : 10));
        var connections = options.Int("connections", run.Smoke ? 4 : 64);
        var n = options.Int("namespaces", run.Smoke ? 1 : 20);

        var result = new ScenarioResult { Scenario = Name };
        run.Describe(result);
        result.Parameters["rate_per_s"] = rate.ToString(CultureInfo.InvariantCulture);
        result.Parameters["duration_s"] = duration.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        result.Parameters["connections"] = connections.ToString(CultureInfo.InvariantCulture);

        var names = WorldSetup.NamespaceNames(n);
        var (world, _) = await WorldSetup.BuildAsync(run.LatencyMs, names, 1, Clutter.Usual, "1h", ct);
        await using var _w = world;
        var certificates = WebhookCertificates.Create(Path.Combine(world.Directory, "webhook"));
        await using var op = OperatorProcess.Start(run.Launch(Name, world.KubeconfigPath, BenchmarkWorld.OperatorNamespace, certificates.Directory));
        var clock = Stopwatch.StartNew();
        await op.WaitReadyAsync(TimeSpan.FromSeconds(120), ct);
        // Managed namespaces first, so the webhook has real work (it decides from the namespace's Quay setup).
        await new ConvergenceProbe(world).WaitAllAsync(names, 1, clock, TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(200), () => op.HasExited, ct);

        using var http = new HttpClient(certificates.CreateHandler(connections)) { Timeout = TimeSpan.FromSeconds(10) };
        var url = op.WebhookUrl + WebhookPath;
        var (unavailable, allowed, patched) = await ProbeAsync(http, url, names[0], ct);
        if (unavailable is not null)
        {
            result.Add("Webhook available", 0, "bool");
            result.Headline = $"webhook: webhook not available in this operator build ({unavailable}); no latency measured";
            return result;
        }
        // What the webhook answers to the review being replayed, so the figures are known to include real work.
        result.Add("Webhook available", 1, "bool")
            .Add("Sample answer: allowed", allowed ? 1 : 0, "bool")
            .Add("Sample answer: carries a patch", patched ? 1 : 0, "bool");

        // Warm-up: JIT, TLS sessions, connection pool.
        await ClosedLoopAsync(http, url, names, connections, TimeSpan.FromSeconds(run.Smoke ? 0.5 : 2), ct);

        var cpu = CpuAccount.Start(op);
        var fixedRun = await OpenLoopAsync(http, url, names, rate, duration, ct);
        cpu.Stop();
        result.Add("Fixed rate: sent", fixedRun.Sent, "count")
            .Add("Fixed rate: achieved throughput", fixedRun.Ok / fixedRun.Elapsed.TotalSeconds, "requests/s")
            .Add("Fixed rate: errors", fixedRun.Errors, "count")
            .Add("Fixed rate: latency p50", Percentiles.Of(fixedRun.Latencies, 0.50), "ms")
            .Add("Fixed rate: latency p99", Percentiles.Of(fixedRun.Latencies, 0.99), "ms")
            .Add("Fixed rate: latency max", fixedRun.Latencies.DefaultIfEmpty(0).Max(), "ms")
            // How far behind its schedule the sender itself was: already inside the latencies above, shown so a late
            // load generator is not mistaken for a slow webhook.
            .Add("Fixed rate: sender lateness p99", Percentiles.Of(fixedRun.SenderLateness, 0.99), "ms");
        cpu.AddTo(result, "at the fixed rate");

        var maxRun = await ClosedLoopAsync(http, url, names, connections, maxDuration, ct);
        result.Add("Closed loop: throughput", maxRun.Ok / maxRun.Elapsed.TotalSeconds, "requests/s")
            .Add("Closed loop: errors", maxRun.Errors, "count")
            .Add("Closed loop: latency p50", Percentiles.Of(maxRun.Latencies, 0.50), "ms")
            .Add("Closed loop: latency p99", Percentiles.Of(maxRun.Latencies, 0.99), "ms")
            .Add("Closed loop: latency max", maxRun.Latencies.DefaultIfEmpty(0).Max(), "ms")
            .Add("Operator peak RSS", op.PeakRssBytes / 1048576.0, "MiB");
        result.Headline = $"webhook: {rate:N0}/s for {duration.TotalSeconds:N0} s: p50 {Percentiles.Of(fixedRun.Latencies, 0.5):N2} ms, " +
                          $"p99 {Percentiles.Of(fixedRun.Latencies, 0.99):N2} ms, {fixedRun.Errors} errors; max sustained " +
                          $"{maxRun.Ok / maxRun.Elapsed.TotalSeconds:N0}/s with {connections} connections ({Environment.ProcessorCount} cores)";
        return result;
    }

    private sealed class Run
    {
        public long Sent;
        public long Ok;
        public long Errors;
        public TimeSpan Elapsed;
        public ConcurrentBag<double> Latencies { get; } = [];
        public List<double> SenderLateness { get; } = [];
    }

    /// <summary>Why the webhook is considered absent (null when it answered), and what it answered.</summary>
    private static async Task<(string? Unavailable, bool Allowed, bool Patched)> ProbeAsync(HttpClient http, string url, string ns, CancellationToken ct)
    {
        try
        {
            using var response = await http.PostAsync(url, Review(ns, 0), ct);
            if (response.StatusCode == HttpStatusCode.NotFound) return ($"{url} answered 404", false, false);
            var body = await response.Content.ReadAsStringAsync(ct);
            var answer = response.StatusCode == HttpStatusCode.OK ? JsonNode.Parse(body)?["response"] : null;
            return (null, answer?["allowed"]?.GetValue<bool>() == true, answer?["patch"] is not null);
        }
        catch (HttpRequestException e)
        {
            return ($"{url}: {e.HttpRequestError} ({e.Message})", false, false);
        }
    }

    private static async Task<bool> SendAsync(HttpClient http, string url, string ns, long i, CancellationToken ct)
    {
        try
        {
            using var response = await http.PostAsync(url, Review(ns, i), ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            return response.StatusCode == HttpStatusCode.OK && body.Contains("\"allowed\"", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }

    private static async Task<Run> OpenLoopAsync(HttpClient http, string url, IReadOnlyList<string> names, double rate, TimeSpan duration, CancellationToken ct)
    {
        var run = new Run();
        var total = (long)(rate * duration.TotalSeconds);
        var inFlight = new List<Task>();
        var start = Stopwatch.GetTimestamp();
        for (long i = 0; i < total; i++)
        {
            var scheduled = TimeSpan.FromSeconds(i / rate);
            // Paced precisely: Task.Delay's coarse clock (a 4 ms tick here) sent the reviews in bursts of four, the first
            // up to 4 ms late, and that lateness was counted as the webhook's.
            await PreciseDelay.Until(start + (long)(scheduled.TotalSeconds * Stopwatch.Frequency), ct);
            run.SenderLateness.Add((Stopwatch.GetElapsedTime(start) - scheduled).TotalMilliseconds);
            var index = i;
            run.Sent++;
            inFlight.Add(Task.Run(async () =>
            {
                var ok = await SendAsync(http, url, names[(int)(index % names.Count)], index, ct);
                // From the scheduled time, not the actual send: a stalled sender must show up as latency.
                run.Latencies.Add((Stopwatch.GetElapsedTime(start) - scheduled).TotalMilliseconds);
                Interlocked.Increment(ref ok ? ref run.Ok : ref run.Errors);
            }, ct));
        }
        await Task.WhenAll(inFlight);
        run.Elapsed = Stopwatch.GetElapsedTime(start);
        return run;
    }

    private static async Task<Run> ClosedLoopAsync(HttpClient http, string url, IReadOnlyList<string> names, int connections, TimeSpan duration, CancellationToken ct)
    {
        var run = new Run();
        var clock = Stopwatch.StartNew();
        long counter = 0;
        await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration && !ct.IsCancellationRequested)
            {
                var i = Interlocked.Increment(ref counter);
                var started = Stopwatch.GetTimestamp();
                var ok = await SendAsync(http, url, names[(int)(i % names.Count)], i, ct);
                run.Latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                Interlocked.Increment(ref run.Sent);
                Interlocked.Increment(ref ok ? ref run.Ok : ref run.Errors);
            }
        }, ct)));
        run.Elapsed = clock.Elapsed;
        return run;
    }

    /// <summary>An AdmissionReview v1 for a Build CREATE whose output is an ImageStreamTag, as oc start-build sends.</summary>
    private static StringContent Review(string ns, long i)
    {
        var review = new JsonObject
        {
            ["apiVersion"] = "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["request"] = new JsonObject
            {
                ["uid"] = Guid.NewGuid().ToString(),
                ["kind"] = new JsonObject { ["group"] = "build.openshift.io", ["version"] = "v1", ["kind"] = "Build" },
                ["resource"] = new JsonObject { ["group"] = "build.openshift.io", ["version"] = "v1", ["resource"] = "builds" },
                ["requestKind"] = new JsonObject { ["group"] = "build.openshift.io", ["version"] = "v1", ["kind"] = "Build" },
                ["requestResource"] = new JsonObject { ["group"] = "build.openshift.io", ["version"] = "v1", ["resource"] = "builds" },
                ["name"] = $"app0-{i}",
                ["namespace"] = ns,
                ["operation"] = "CREATE",
                ["userInfo"] = new JsonObject { ["username"] = "system:serviceaccount:openshift-infra:build-controller" },
                ["dryRun"] = false,
                ["object"] = new JsonObject
                {
                    ["apiVersion"] = "build.openshift.io/v1",
                    ["kind"] = "Build",
                    ["metadata"] = new JsonObject { ["name"] = $"app0-{i}", ["namespace"] = ns },
                    ["spec"] = new JsonObject
                    {
                        ["serviceAccount"] = "builder",
                        ["source"] = new JsonObject { ["type"] = "Git", ["git"] = new JsonObject { ["uri"] = "https://github.com/sclorg/httpd-ex.git" } },
                        ["strategy"] = new JsonObject
                        {
                            ["type"] = "Source",
                            ["sourceStrategy"] = new JsonObject { ["from"] = new JsonObject { ["kind"] = "ImageStreamTag", ["namespace"] = "openshift", ["name"] = "httpd:2.4-el8" } },
                        },
                        ["output"] = new JsonObject { ["to"] = new JsonObject { ["kind"] = "ImageStreamTag", ["name"] = $"{BenchmarkWorld.ImageStreamName(0)}:latest" } },
                    },
                },
            },
        };
        return new StringContent(review.ToJsonString(), Encoding.UTF8, "application/json");
    }
}
