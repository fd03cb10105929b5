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
        ("floor", "measure a bare Kestrel HTTPS endpoint (FloorServer) with the same load instead of the operator"),
        .. OperatorRunOptions.Help,
    ];

    public async Task<ScenarioResult> RunAsync(ScenarioOptions options, CancellationToken ct)
    {
        var run = OperatorRunOptions.Read(options, defaultLatencyMs: 0);
        var load = new Load(
            options.Double("rate", run.Smoke ? 50 : 1000),
            TimeSpan.FromSeconds(options.Double("duration", run.Smoke ? 2 : 30)),
            TimeSpan.FromSeconds(options.Double("max-duration", run.Smoke ? 1 : 10)),
            options.Int("connections", run.Smoke ? 4 : 64));
        var n = options.Int("namespaces", run.Smoke ? 1 : 20);

        var result = new ScenarioResult { Scenario = Name };
        result.Parameters["rate_per_s"] = load.Rate.ToString(CultureInfo.InvariantCulture);
        result.Parameters["duration_s"] = load.Duration.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        result.Parameters["connections"] = load.Connections.ToString(CultureInfo.InvariantCulture);
        var names = WorldSetup.NamespaceNames(n);
        if (options.Flag("floor")) await MeasureFloorAsync(result, run, names, load, ct);
        else await MeasureOperatorAsync(result, run, names, load, ct);
        return result;
    }

    private async Task MeasureOperatorAsync(ScenarioResult result, OperatorRunOptions run, IReadOnlyList<string> names, Load load, CancellationToken ct)
    {
        run.Describe(result);
        var (world, _) = await WorldSetup.BuildAsync(run.LatencyMs, names, 1, Clutter.Usual, "1h", ct);
        await using var _w = world;
        var certificates = WebhookCertificates.Create(Path.Combine(world.Directory, "webhook"));
        await using var op = OperatorProcess.Start(run.Launch(Name, world.KubeconfigPath, BenchmarkWorld.OperatorNamespace, certificates.Directory));
        var clock = Stopwatch.StartNew();
        await op.WaitReadyAsync(TimeSpan.FromSeconds(120), ct);
        // Managed namespaces first, so the webhook has real work (it decides from the namespace's Quay setup).
        await new ConvergenceProbe(world).WaitAllAsync(names, 1, clock, TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(200), () => op.HasExited, ct);

        await MeasureAsync(result, "Operator", certificates, op.WebhookUrl + WebhookPath, names, load, run.Smoke, () => CpuAccount.Start(op), () => op.PeakRssBytes, ct);
    }

    /// <summary>The same load against <see cref="FloorServer"/>: no world, no operator.</summary>
    private async Task MeasureFloorAsync(ScenarioResult result, OperatorRunOptions run, IReadOnlyList<string> names, Load load, CancellationToken ct)
    {
        result.Parameters["measured"] = "floor: a bare Kestrel HTTPS endpoint answering a fixed review (FloorServer), under the JIT";
        var directory = Directory.CreateTempSubdirectory("webhook-floor-").FullName;
        try
        {
            var certificates = WebhookCertificates.Create(Path.Combine(directory, "webhook"));
            var port = OperatorProcess.FreePort();
            Directory.CreateDirectory(run.LogDirectory);
            var log = Path.Combine(run.LogDirectory, $"{Name}-{DateTime.UtcNow:yyyyMMdd'T'HHmmss}-floor-server.log");
            using var floor = await FloorServer.StartAsync(certificates.Directory, port, log, ct);
            try
            {
                await MeasureAsync(result, "Floor server", certificates, $"https://127.0.0.1:{port}{WebhookPath}", names, load, run.Smoke,
                    () => CpuAccount.Start(floor, "floor server"), () => (OperatorProcess.StatusKb(floor.Id, "VmHWM") ?? 0) * 1024, ct);
            }
            finally
            {
                floor.Kill(entireProcessTree: true);
                await floor.WaitForExitAsync(CancellationToken.None);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>The load: the open loop's rate and duration, then the closed loop's duration and connections.</summary>
    private sealed record Load(double Rate, TimeSpan Duration, TimeSpan MaxDuration, int Connections);

    /// <summary>The same measurement for the operator and for the floor: a probe, a warm-up, the fixed rate, the closed loop.</summary>
    private static async Task MeasureAsync(ScenarioResult result, string measured, WebhookCertificates certificates, string url, IReadOnlyList<string> names,
        Load load, bool smoke, Func<CpuAccount> startCpu, Func<long> peakRssBytes, CancellationToken ct)
    {
        using var http = new HttpClient(certificates.CreateHandler(load.Connections)) { Timeout = TimeSpan.FromSeconds(10) };
        var (unavailable, allowed, patched) = await ProbeAsync(http, url, names[0], ct);
        if (unavailable is not null)
        {
            result.Add("Webhook available", 0, "bool");
            result.Headline = $"webhook: webhook not available in this operator build ({unavailable}); no latency measured";
            return;
        }
        // What the webhook answers to the review being replayed, so the figures are known to include real work.
        result.Add("Webhook available", 1, "bool")
            .Add("Sample answer: allowed", allowed ? 1 : 0, "bool")
            .Add("Sample answer: carries a patch", patched ? 1 : 0, "bool");

        // Warm-up: JIT, TLS sessions, connection pool.
        await ClosedLoopAsync(http, url, names, load.Connections, TimeSpan.FromSeconds(smoke ? 0.5 : 2), ct);

        var cpu = startCpu();
        var fixedRun = await OpenLoopAsync(http, url, names, load.Rate, load.Duration, ct);
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

        var maxRun = await ClosedLoopAsync(http, url, names, load.Connections, load.MaxDuration, ct);
        result.Add("Closed loop: throughput", maxRun.Ok / maxRun.Elapsed.TotalSeconds, "requests/s")
            .Add("Closed loop: errors", maxRun.Errors, "count")
            .Add("Closed loop: latency p50", Percentiles.Of(maxRun.Latencies, 0.50), "ms")
            .Add("Closed loop: latency p99", Percentiles.Of(maxRun.Latencies, 0.99), "ms")
            .Add("Closed loop: latency max", maxRun.Latencies.DefaultIfEmpty(0).Max(), "ms")
            .Add($"{measured} peak RSS", peakRssBytes() / 1048576.0, "MiB");
        result.Headline = $"webhook{(measured == "Operator" ? "" : $" ({measured.ToLowerInvariant()})")}: {load.Rate:N0}/s for {load.Duration.TotalSeconds:N0} s: p50 {Percentiles.Of(fixedRun.Latencies, 0.5):N2} ms, " +
                          $"p99 {Percentiles.Of(fixedRun.Latencies, 0.99):N2} ms, {fixedRun.Errors} errors; max sustained " +
                          $"{maxRun.Ok / maxRun.Elapsed.TotalSeconds:N0}/s with {load.Connections} connections ({Environment.ProcessorCount} cores)";
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
