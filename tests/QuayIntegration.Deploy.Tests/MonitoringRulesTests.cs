using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QuayIntegration.Deploy.Tests.Support;

namespace QuayIntegration.Deploy.Tests;

/// <summary>
/// The alerts of deploy/monitoring/prometheus_rule.yaml: checked and unit-tested by the real promtool, each with a
/// runbook in docs/runbooks.md and a firing case in the unit tests; the dashboard's panels each query something.
/// </summary>
public sealed partial class MonitoringRulesTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("promtool-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [PromtoolFact]
    public async Task Promtool_checks_the_rules_and_their_unit_tests_pass()
    {
        MonitoringFiles.WriteRulesFile(Path.Combine(_directory, "rules.yaml"));
        File.Copy(MonitoringFiles.UnitTestsPath, Path.Combine(_directory, "alerts.test.yaml"));

        var (code, stdout, stderr) = await Tools.RunAsync(Tools.Promtool!, ["check", "rules", "rules.yaml"], _directory);
        Assert.True(code == 0, $"promtool check rules failed:\n{stdout}\n{stderr}");
        Assert.Contains($"SUCCESS: {MonitoringFiles.RuleGroups["groups"]!.AsArray().Sum(g => g!["rules"]!.AsArray().Count)} rules found", stdout);

        (code, stdout, stderr) = await Tools.RunAsync(Tools.Promtool!, ["test", "rules", "alerts.test.yaml"], _directory);
        Assert.True(code == 0, $"promtool test rules failed:\n{stdout}\n{stderr}");
        Assert.Contains("SUCCESS", stdout);
    }

    [Fact]
    public void Every_alert_is_a_signal_against_a_threshold_with_a_severity_and_a_runbook_section()
    {
        var alerts = MonitoringFiles.Alerts;
        Assert.NotEmpty(alerts);
        var runbooks = File.ReadAllText(Path.Combine(Repo.Root, "docs", "runbooks.md"));
        var headings = Heading().Matches(runbooks).Select(m => m.Groups[1].Value.Trim()).ToHashSet();
        foreach (var alert in alerts)
        {
            Assert.True(alert.Signal.Length > 0, $"{alert.Name}: '{alert.Expression}' is not '<signal> <comparison> <number>'");
            Assert.Contains(alert.Severity, new[] { "critical", "warning", "info" });
            Assert.False(string.IsNullOrWhiteSpace((string?)alert.Body["annotations"]?["summary"]), $"{alert.Name} has no summary");
            var anchor = alert.Name.ToLowerInvariant();
            Assert.Contains($"Runbook: docs/runbooks.md#{anchor}", alert.Description);
            Assert.True(headings.Contains(alert.Name), $"docs/runbooks.md has no section '## {alert.Name}'");
        }
        // The issue's list: each of these conditions has an alert.
        foreach (var metric in new[] { "quayintegration_integration_ready", "quayintegration_integration_namespaces", "quayintegration_quay_requests_total",
                     "quayintegration_quay_request_duration_seconds_bucket", "quayintegration_admission_requests_total", "quayintegration_admission_duration_seconds_bucket",
                     "quayintegration_leader", "quayintegration_events_dropped_total", "quayintegration_webhook_certificate_expiry_timestamp_seconds" })
            Assert.Contains(alerts, a => a.Expression.Contains(metric, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_alert_has_a_firing_case_in_the_promtool_unit_tests()
    {
        var tests = Manifests.Load(MonitoringFiles.UnitTestsPath).Single().Body;
        var fired = tests["tests"]!.AsArray().SelectMany(t => t!["alert_rule_test"]!.AsArray())
            .Where(a => a!["exp_alerts"] is JsonArray { Count: > 0 }).Select(a => (string)a!["alertname"]!).ToHashSet();
        var quiet = tests["tests"]!.AsArray().SelectMany(t => t!["alert_rule_test"]!.AsArray())
            .Where(a => a!["exp_alerts"] is JsonArray { Count: 0 }).Select(a => (string)a!["alertname"]!).ToHashSet();
        foreach (var alert in MonitoringFiles.Alerts.Select(a => a.Name).Distinct())
        {
            Assert.True(fired.Contains(alert), $"no promtool test makes {alert} fire");
            Assert.True(quiet.Contains(alert), $"no promtool test shows {alert} quiet when it should be");
        }
    }

    [Fact]
    public void The_dashboard_has_a_datasource_variable_and_every_panel_queries_the_operator()
    {
        var dashboard = JsonNode.Parse(File.ReadAllText(MonitoringFiles.DashboardPath))!;
        Assert.Equal("quay-integration", (string?)dashboard["uid"]);
        Assert.Contains(dashboard["templating"]!["list"]!.AsArray(), v => (string?)v!["type"] == "datasource" && (string?)v["query"] == "prometheus");
        var expressions = MonitoringFiles.DashboardExpressions;
        Assert.True(expressions.Count >= 10, $"only {expressions.Count} panel queries");
        // The operator's own series, or Prometheus' scrape health of the operator's job.
        Assert.All(expressions, e => Assert.True(e.Expression.Contains("quayintegration_", StringComparison.Ordinal)
                                                 || e.Expression.Contains($"up{{job=\"{Sandbox.World.PrometheusServer.MetricsJob}\"}}", StringComparison.Ordinal),
            $"panel {e.Panel} queries something else: {e.Expression}"));
        // Each alert's signal is on the dashboard, so whoever is paged can see it over time.
        foreach (var alert in MonitoringFiles.Alerts)
            Assert.True(expressions.Any(e => Normalize(e.Expression).Contains(Normalize(alert.Signal), StringComparison.Ordinal)
                    || Normalize(alert.Signal).Contains(Normalize(e.Expression), StringComparison.Ordinal)),
                $"the signal of {alert.Name} ({alert.Signal}) is on no panel");
    }

    private static string Normalize(string expression) => Whitespace().Replace(expression, "").Replace("max(", "").Replace("min(", "").Replace("sum(", "");

    [GeneratedRegex(@"^##\s+(.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
