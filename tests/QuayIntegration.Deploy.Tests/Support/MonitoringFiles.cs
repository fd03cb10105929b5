using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace QuayIntegration.Deploy.Tests.Support;

/// <summary>One alerting rule of deploy/monitoring/prometheus_rule.yaml, with its expression split into signal and threshold.</summary>
public sealed record AlertRule(string Name, string Expression, string Signal, string Comparison, string Threshold, JsonObject Body)
{
    public string Severity => (string?)Body["labels"]?["severity"] ?? "";
    public string Description => (string?)Body["annotations"]?["description"] ?? "";
    public override string ToString() => $"{Name} ({Severity})";
}

/// <summary>deploy/monitoring read as the tests need it: the alert rules and every expression of the Grafana dashboard.</summary>
public static partial class MonitoringFiles
{
    public static string PrometheusRulePath => Path.Combine(Repo.Deploy, "monitoring", "prometheus_rule.yaml");
    public static string DashboardPath => Path.Combine(Repo.Deploy, "monitoring", "dashboards", "quay-integration.json");
    public static string UnitTestsPath => Path.Combine(Repo.Root, "tests", "QuayIntegration.Deploy.Tests", "Monitoring", "alerts.test.yaml");

    /// <summary>The PrometheusRule's spec: a Prometheus rules file (groups of rules).</summary>
    public static JsonObject RuleGroups => Manifests.Load(PrometheusRulePath).Single().Body["spec"]!.AsObject();

    public static IReadOnlyList<AlertRule> Alerts => RuleGroups["groups"]!.AsArray()
        .SelectMany(g => g!["rules"]!.AsArray()).Select(r => r!.AsObject()).Where(r => r["alert"] is not null)
        .Select(r =>
        {
            var expression = ((string)r["expr"]!).Trim();
            var match = SignalAndThreshold().Match(expression);
            return match.Success
                ? new AlertRule((string)r["alert"]!, expression, match.Groups["signal"].Value.Trim(), match.Groups["op"].Value, match.Groups["threshold"].Value, r)
                : new AlertRule((string)r["alert"]!, expression, "", "", "", r);
        }).ToList();

    /// <summary>Every PromQL expression of the dashboard's panels, with the panel's title.</summary>
    public static IReadOnlyList<(string Panel, string Expression)> DashboardExpressions
    {
        get
        {
            var dashboard = JsonNode.Parse(File.ReadAllText(DashboardPath))!;
            return dashboard["panels"]!.AsArray().Where(p => (string?)p!["type"] != "row")
                .SelectMany(p => p!["targets"]!.AsArray().Select(t => ((string)p["title"]!, (string)t!["expr"]!))).ToList();
        }
    }

    /// <summary>The rules file promtool and Prometheus read (JSON is YAML), written to <paramref name="path"/>.</summary>
    public static void WriteRulesFile(string path) => File.WriteAllText(path, RuleGroups.ToJsonString());

    /// <summary>"signal comparison number", the form every alert of the file has (so the dashboard can graph the signal).</summary>
    [GeneratedRegex(@"^(?<signal>.+?)\s*(?<op>>=|<=|==|!=|>|<)\s*(?<threshold>-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?)$", RegexOptions.Singleline)]
    private static partial Regex SignalAndThreshold();
}
