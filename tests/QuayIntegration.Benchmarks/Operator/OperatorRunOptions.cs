using System.Globalization;
using QuayIntegration.Benchmarks.Framework;

namespace QuayIntegration.Benchmarks.Operator;

/// <summary>Options every operator scenario shares: what to start, and the Quay latency and concurrency cap.</summary>
public sealed record OperatorRunOptions(string? Command, int LatencyMs, int Concurrency, int? Workers, bool Smoke, string LogDirectory)
{
    public static readonly IReadOnlyList<(string Option, string Help)> Help =
    [
        ("operator-command <c>", "command that starts the operator (default: this repo's Release build, built if missing or stale); the harness appends --kubeconfig and the other flags"),
        ("latency-ms <L>", "added latency of every emulated Quay call (default 25; 0 for webhook and memory-startup)"),
        ("concurrency <C>", "the operator's cap on concurrent Quay calls, --quay-max-concurrency (default 16)"),
        ("workers <n>", "the operator's controller workers, --workers (default: not passed, so the operator's own default, 2 × C, is measured)"),
        ("smoke", "a tiny run of a few seconds, for CI"),
        ("log-dir <dir>", "where the operator's output goes (default BenchmarkResults/logs)"),
    ];

    public static OperatorRunOptions Read(ScenarioOptions options, int defaultLatencyMs = 25, int defaultConcurrency = 16)
    {
        var concurrency = options.Int("concurrency", defaultConcurrency);
        return new OperatorRunOptions(
            options.String("operator-command"),
            options.Int("latency-ms", defaultLatencyMs),
            concurrency,
            options.String("workers") is null ? null : options.Int("workers", 0),
            options.Flag("smoke"),
            options.String("log-dir") ?? Path.Combine("BenchmarkResults", "logs"));
    }

    public OperatorLaunch Launch(string scenario, string kubeconfig, string leaderNamespace, string? webhookCertDir = null) => new(
        kubeconfig, leaderNamespace, Workers, Concurrency,
        Path.Combine(LogDirectory, $"{scenario}-{DateTime.UtcNow:yyyyMMdd'T'HHmmss}-operator.log"),
        Command, webhookCertDir);

    public void Describe(ScenarioResult result)
    {
        result.Parameters["operator"] = Command ?? "hack/publish.sh output (Native AOT, as shipped)";
        result.Parameters["latency_ms"] = LatencyMs.ToString(CultureInfo.InvariantCulture);
        result.Parameters["quay_concurrency"] = Concurrency.ToString(CultureInfo.InvariantCulture);
        result.Parameters["workers"] = Workers?.ToString(CultureInfo.InvariantCulture) ?? "operator default (2 × C)";
        result.Parameters["load_average_at_start"] = LoadAverage();
        if (Smoke) result.Parameters["smoke"] = "true";
    }

    /// <summary>The 1-minute load average: timings on a shared machine are only comparable with it.</summary>
    public static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
