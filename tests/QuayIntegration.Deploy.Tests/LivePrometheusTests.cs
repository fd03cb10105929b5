using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using QuayIntegration.Deploy.Tests.Support;
using QuayIntegration.Emulators.Cluster.Cli;
using QuayIntegration.Sandbox;
using QuayIntegration.Sandbox.Output;
using QuayIntegration.Sandbox.Steps;
using QuayIntegration.Sandbox.World;
using Xunit.Abstractions;

namespace QuayIntegration.Deploy.Tests;

/// <summary>
/// The sandbox's world (emulated OpenShift and Quay, the real operator binary running as its service account with
/// secure metrics as deploy/ runs it), the README walkthrough replayed in it so every code path has counted something,
/// and a real Prometheus (Debian's package) scraping the operator over HTTPS with the token of a service account
/// bound to deploy/'s ClusterRole quay-integration-metrics-reader, with deploy/monitoring's alerts loaded.
/// </summary>
public sealed class LiveMonitoringWorld : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("live-monitoring-").FullName;
    private readonly StringWriter _log = new();
    private readonly CancellationTokenSource _deadline = new(TimeSpan.FromMinutes(6));

    public SandboxWorld? World { get; private set; }
    public PrometheusServer Prometheus => World?.Prometheus ?? throw new InvalidOperationException("Prometheus did not start:\n" + _log);
    public string SetUpLog => _log.ToString();

    public async Task InitializeAsync()
    {
        if (Tools.Prometheus is null) return; // the tests say why they are skipped
        try
        {
            await SetUpAsync();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The CI log shows only this message: it says which step failed, with what the world printed on the way.
            throw new InvalidOperationException($"the monitored world could not be set up: {e.GetType().Name}: {e.Message}\n--- prometheus targets\n{await TargetsAsync()}"
                + $"\n--- set-up log\n{Tail(_log.ToString())}\n--- operator log\n{string.Join('\n', World?.Operator?.LastLogLines(30) ?? [])}"
                + $"\n--- prometheus log\n{string.Join('\n', World?.Prometheus?.LastLogLines() ?? [])}", e);
        }
    }

    private async Task SetUpAsync()
    {
        var options = new SandboxOptions
        {
            WorkDirectory = Path.Combine(_directory, "sandbox"),
            SecureMetrics = true,
            Prometheus = true,
            StepTimeout = TimeSpan.FromSeconds(60),
        };
        var report = new Report(_log, color: false);
        World = await SandboxWorld.StartAsync(options, report, _deadline.Token);
        // The walkthrough starts once Prometheus has scraped the operator, so the counters it moves show as rates.
        await Until(async () => (await Prometheus.QueryAsync("quayintegration_leader")).Count > 0, "Prometheus's first scrape", TimeSpan.FromSeconds(60));
        var result = await new Walkthrough(World, report, options).RunAsync(_deadline.Token);
        if (!result.Success) throw new InvalidOperationException("the walkthrough failed in the monitored world");

        // A second project and Build once the walkthrough's series exist, so the counters it created also move
        // between scrapes (a series that first appears at 1 and stays there has a rate of 0).
        const string project = "monitoring-demo";
        await World.Oc.NewProjectAsync(project);
        await Until(async () => (await World.Kube.CustomObjects.GetClusterCustomObjectAsync<JsonObject>("quay.redhat.com", "v1", "quaynamespaces", project))?["status"]?["phase"]?.GetValue<string>() == "Synced",
            $"project {project} to be set up (its QuayNamespace Synced)", TimeSpan.FromSeconds(60));
        var app = AppTemplate.HttpdExample;
        try
        {
            await World.Oc.NewAppAsync(project, app);
        }
        catch (k8s.Autorest.HttpOperationException e) when (NotSetUpYet(e))
        {
            // its first Build refused: started again below
        }
        // One Build moves the admission counter once; a scrape missed on a loaded machine can hide that step, so Builds
        // are started until Prometheus shows the counter rising. The webhook reads the operator's caches, which may
        // trail the API server by a moment: a Build refused as not set up yet is simply started again, as a user would.
        await Until(async () =>
        {
            try
            {
                await World.Oc.StartBuildAsync(project, app.Name);
            }
            catch (k8s.Autorest.HttpOperationException e) when (NotSetUpYet(e))
            {
                return false;
            }
            return await ShowsWithinAsync("sum(rate(quayintegration_admission_requests_total[5m])) > 0", TimeSpan.FromSeconds(5));
        }, "a Build's admission review in the second project to show as a rate", TimeSpan.FromSeconds(90));

        // The same for the Quay calls: a project's set-up makes a dozen of them within a fraction of a second, which a
        // scrape missed on a loaded machine can hide too (the Quay series then first appear at their final values and
        // have a rate of 0). Another project is created until Prometheus shows them rising.
        // Their latency histogram too, which the alert and the dashboard's quantiles read: once it showed no rise (NaN
        // quantiles) while the call counter did.
        const string quayCallsRise = "sum(rate(quayintegration_quay_requests_total[5m])) > 0 and on() sum(rate(quayintegration_quay_request_duration_seconds_count[5m])) > 0";
        var extra = 0;
        await Until(async () =>
        {
            if ((await Prometheus.QueryAsync(quayCallsRise)).Count > 0) return true;
            await World.Oc.NewProjectAsync($"{project}-{++extra}");
            return await ShowsWithinAsync(quayCallsRise, TimeSpan.FromSeconds(5));
        }, "the Quay calls of a project's set-up to show as a rate", TimeSpan.FromSeconds(90));

        // Every metric the alerts and the dashboard read has been scraped at least three times (rate() needs two samples).
        await Until(async () =>
            (await Prometheus.QueryAsync("count_over_time(quayintegration_admission_duration_seconds_count[1m])")).Any(r => Value(r) >= 3)
            && (await Prometheus.QueryAsync("quayintegration_integration_ready")).Count > 0
            && (await Prometheus.QueryAsync("quayintegration_webhook_certificate_expiry_timestamp_seconds")).Count > 0,
            "Prometheus to hold three scrapes of the operator's metrics", TimeSpan.FromSeconds(90));
    }

    /// <summary>Whether <paramref name="query"/> returns a series within <paramref name="window"/>: a rate shows only after the next scrape.</summary>
    private async Task<bool> ShowsWithinAsync(string query, TimeSpan window)
    {
        var until = DateTime.UtcNow + window;
        while (DateTime.UtcNow < until)
        {
            if ((await Prometheus.QueryAsync(query)).Count > 0) return true;
            await Task.Delay(250, _deadline.Token);
        }
        return false;
    }

    /// <summary>
    /// Polls until <paramref name="condition"/> holds. An answer that fails on the way (Prometheus or the API server
    /// slow under the suite's load, an admission refused) is "not yet", and the last one is named if time runs out.
    /// </summary>
    private async Task Until(Func<Task<bool>> condition, string what, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or k8s.Autorest.HttpOperationException or InvalidOperationException
                                      && !_deadline.IsCancellationRequested)
            {
                last = e;
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}" + (last is null ? "" : $"; last failure: {Describe(last)}"));
            await Task.Delay(200, _deadline.Token);
        }
    }

    /// <summary>The webhook's refusal of a Build in a namespace its caches do not show set up yet.</summary>
    private static bool NotSetUpYet(k8s.Autorest.HttpOperationException e) =>
        e.Response.Content.Contains("being set up", StringComparison.Ordinal) || e.Response.Content.Contains("does not carry the Quay Secret", StringComparison.Ordinal)
        || e.Response.Content.Contains("has no Quay organization yet", StringComparison.Ordinal);

    /// <summary>Each scrape target as Prometheus saw it last: health, error, scrape duration.</summary>
    private async Task<string> TargetsAsync()
    {
        if (World?.Prometheus is not { } prometheus) return "(no Prometheus)";
        try
        {
            var targets = (await prometheus.GetAsync("/api/v1/targets"))["data"]?["activeTargets"]?.AsArray() ?? [];
            var lines = targets.Select(t => $"{t?["scrapeUrl"]}: {t?["health"]}, last scrape {t?["lastScrape"]} took {t?["lastScrapeDuration"]} s, error '{t?["lastError"]}'").ToList();
            // What it holds of the series the set-up waits on, over the last two minutes.
            foreach (var query in new[] { "up[2m]", "quayintegration_admission_requests_total[2m]" })
            {
                var series = await prometheus.QueryAsync(query);
                lines.Add($"{query}: " + string.Join("; ", series.Select(r => $"{r?["metric"]?.ToJsonString()} {r?["values"]?.AsArray().Count} samples, last {r?["values"]?.AsArray().LastOrDefault()?.ToJsonString()}")));
            }
            return string.Join('\n', lines);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return $"(not available: {e.Message})";
        }
    }

    private static string Describe(Exception e) =>
        e is k8s.Autorest.HttpOperationException http ? $"{(int)http.Response.StatusCode} {http.Response.Content}" : $"{e.GetType().Name}: {e.Message}";

    /// <summary>The last 30 lines.</summary>
    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(30));

    public static double Value(JsonNode? result) =>
        double.Parse((string)result!["value"]![1]!, System.Globalization.CultureInfo.InvariantCulture);

    public async Task DisposeAsync()
    {
        if (World is not null) await World.DisposeAsync();
        _deadline.Dispose();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}

public sealed class LivePrometheusTests(LiveMonitoringWorld live, ITestOutputHelper output) : IClassFixture<LiveMonitoringWorld>
{
    [PrometheusFact]
    public async Task Prometheus_scrapes_the_secure_metrics_with_its_token_and_every_rule_evaluates_without_error()
    {
        var prometheus = live.Prometheus;
        var targets = (await prometheus.GetAsync("/api/v1/targets"))["data"]!["activeTargets"]!.AsArray();
        var target = Assert.Single(targets)!;
        Assert.Equal(PrometheusServer.MetricsJob, (string?)target["labels"]!["job"]);
        Assert.StartsWith("https://", (string)target["scrapeUrl"]!);
        Assert.True((string?)target["health"] == "up", $"target {target.ToJsonString()}");

        var groups = (await prometheus.GetAsync("/api/v1/rules"))["data"]!["groups"]!.AsArray();
        var rules = groups.SelectMany(g => g!["rules"]!.AsArray()).ToList();
        Assert.Equal(MonitoringFiles.Alerts.Count, rules.Count);
        foreach (var rule in rules)
        {
            Assert.True((string?)rule!["health"] == "ok", $"{(string?)rule["name"]}: health {(string?)rule["health"]}, {(string?)rule["lastError"]}");
            Assert.True(string.IsNullOrEmpty((string?)rule["lastError"]), $"{(string?)rule["name"]}: {(string?)rule["lastError"]}");
            Assert.False(((string?)rule["lastEvaluation"] ?? "").StartsWith("0001-", StringComparison.Ordinal), $"{(string?)rule["name"]} was never evaluated");
        }
        // A healthy world raises no alert but the informational ones: the operator is ready, leading, certified.
        var firing = (await prometheus.GetAsync("/api/v1/alerts"))["data"]!["alerts"]!.AsArray()
            .Where(a => (string?)a!["state"] == "firing" && (string?)a["labels"]!["severity"] != "info").Select(a => (string)a!["labels"]!["alertname"]!).ToList();
        Assert.True(firing.Count == 0, "firing in a healthy world: " + string.Join(", ", firing));
    }

    [PrometheusFact]
    public async Task Every_alert_signal_and_every_dashboard_query_is_valid_PromQL_that_returns_data_for_this_operator()
    {
        var prometheus = live.Prometheus;
        var problems = new List<string>();
        foreach (var alert in MonitoringFiles.Alerts)
        {
            try
            {
                await prometheus.QueryAsync(alert.Expression); // valid as a whole (empty while it does not fire)
                var result = await prometheus.QueryAsync(alert.Signal);
                if (!result.Any(IsNumber)) problems.Add($"alert {alert.Name}: its signal {alert.Signal} returns no number ({result.ToJsonString()})");
                else output.WriteLine($"{alert.Name}: {alert.Signal} = {string.Join(", ", result.Select(r => (string?)r!["value"]![1]))} ({alert.Comparison} {alert.Threshold} fires)");
            }
            catch (InvalidOperationException e)
            {
                problems.Add($"alert {alert.Name}: {e.Message}");
            }
        }
        foreach (var (panel, expression) in MonitoringFiles.DashboardExpressions)
        {
            try
            {
                var result = await prometheus.QueryAsync(expression);
                if (!result.Any(IsNumber)) problems.Add($"panel '{panel}': {expression} returns no number ({result.ToJsonString()})");
                else output.WriteLine($"panel '{panel}': {result.Count} series");
            }
            catch (InvalidOperationException e)
            {
                problems.Add($"panel '{panel}': {e.Message}");
            }
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    /// <summary>A sample with a value that is a number (not NaN: a rate over counters that moved, a quantile of observations).</summary>
    private static bool IsNumber(JsonNode? result) => !double.IsNaN(LiveMonitoringWorld.Value(result));

    [PrometheusFact]
    public async Task A_Prometheus_without_a_token_or_with_one_not_allowed_get_metrics_scrapes_nothing()
    {
        var world = live.World!;
        var ns = "quay-integration";
        await MetricsAccessClient.CreateServiceAccountAsync(world.Kube, ns, "unbound-scraper", clusterRole: null);
        var directory = Path.Combine(world.WorkDirectory, "prometheus-refused");
        Directory.CreateDirectory(directory);
        var tokenFile = Path.Combine(directory, "token");
        await File.WriteAllTextAsync(tokenFile, await MetricsAccessClient.TokenAsync(world.Kube, ns, "unbound-scraper"));
        var address = $"127.0.0.1:{world.Operator!.SecureMetricsPort}";
        await using var refused = await PrometheusServer.StartAsync(directory, MonitoringFiles.PrometheusRulePath,
            [new PrometheusTarget("no-token", address, "https", null, true), new PrometheusTarget("not-allowed", address, "https", tokenFile, true)], CancellationToken.None);
        JsonArray targets = [];
        await Repo.Eventually(async () =>
        {
            targets = (await refused.GetAsync("/api/v1/targets"))["data"]!["activeTargets"]!.AsArray();
            return targets.Count == 2 && targets.All(t => (string?)t!["health"] == "down");
        }, "both scrapes to be refused", TimeSpan.FromSeconds(20));
        Assert.Contains("401", (string)targets.Single(t => (string?)t!["labels"]!["job"] == "no-token")!["lastError"]!);
        Assert.Contains("403", (string)targets.Single(t => (string?)t!["labels"]!["job"] == "not-allowed")!["lastError"]!);
        Assert.Empty(await refused.QueryAsync("quayintegration_leader"));
    }

    [PrometheusAndChromiumFact]
    public async Task Headless_Chromium_shows_the_operator_metrics_on_the_Prometheus_page()
    {
        var prometheus = live.Prometheus;
        var query = SandboxRunner.QuayCallsQuery;
        var profile = Directory.CreateTempSubdirectory("chromium-").FullName;
        try
        {
            string[] common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", $"--user-data-dir={profile}",
                "--virtual-time-budget=10000"];

            // The page as a browser renders it (React, after its API calls): the table view lists the query's series.
            var (code, dom, stderr) = await Tools.RunAsync(Tools.Chromium!, [.. common, "--dump-dom", prometheus.GraphUrl(query, table: true)], timeout: TimeSpan.FromSeconds(90));
            Assert.True(code == 0, $"chromium --dump-dom exited with {code}: {stderr}");
            Assert.Contains("<tbody>", dom);
            Assert.Contains("route=\"/api/v1/user/\"", dom);
            Assert.Contains("route=\"/api/v1/organization/{org}/robots/{shortName}\"", dom);

            // The screenshot of the graph view, kept for a person to look at.
            var screenshots = Path.Combine(Repo.Root, "artifacts", "screenshots");
            Directory.CreateDirectory(screenshots);
            var png = Path.Combine(screenshots, "prometheus-quay-calls.png");
            File.Delete(png);
            (code, _, stderr) = await Tools.RunAsync(Tools.Chromium!, [.. common, "--window-size=1400,900", $"--screenshot={png}", prometheus.GraphUrl(query, table: false, range: "1m")],
                timeout: TimeSpan.FromSeconds(90));
            Assert.True(code == 0 && File.Exists(png), $"chromium --screenshot exited with {code}: {stderr}");
            var bytes = await File.ReadAllBytesAsync(png);
            Assert.True(bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), "not a PNG");
            Assert.Equal("IHDR", Encoding.ASCII.GetString(bytes, 12, 4));
            Assert.Equal((1400, 900), (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20))));
            Assert.True(bytes.Length > 20_000, $"a {bytes.Length}-byte screenshot is too small to hold the page");
            output.WriteLine($"screenshot: {Manifests.Relative(png)} ({bytes.Length} bytes)");
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }
}
