using System.Text.Json;
using QuayIntegration.Benchmarks.Framework;
using QuayIntegration.Benchmarks.Scenarios;
using QuayIntegration.Benchmarks.World;
using QuayIntegration.Testing.Core;

namespace QuayIntegration.Benchmarks.Tests;

/// <summary>
/// Runs each scenario's <c>--smoke</c> variant through the real runner (table + JSON) against this build's operator
/// process, and checks that it produced its figures. Timings are never asserted: the harness must not rot, that is all.
/// </summary>
public sealed class ScenarioSmokeTests
{
    [Theory]
    [InlineData("cold-convergence", "Quay calls, total")]
    [InlineData("steady-state", "Quay calls per namespace per drift check")]
    [InlineData("churn", "Setup p99")]
    [InlineData("memory-startup", "Peak RSS (VmHWM)")]
    [InlineData("webhook", "Webhook available")]
    [InlineData("webhook", "CPU at the fixed rate: floor server", "--floor")]
    public async Task Smoke_run_produces_its_results(string scenario, string keyMetric, string? option = null)
    {
        var directory = Directory.CreateTempSubdirectory("bench-smoke-");
        var output = Path.Combine(directory.FullName, "result.json");
        var passed = false;
        try
        {
            var exitCode = await new BenchmarkRunner(ScenarioCatalog.All).RunAsync(
                [scenario, "--smoke", "--operator-command", OperatorCommand(), "--out", output, "--log-dir", directory.FullName, .. option is null ? [] : new[] { option }]);

            Assert.Equal(0, exitCode);
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(output));
            Assert.Equal(scenario, json.RootElement.GetProperty("scenario").GetString());
            Assert.False(string.IsNullOrEmpty(json.RootElement.GetProperty("headline").GetString()));
            var metrics = json.RootElement.GetProperty("metrics").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
            Assert.True(metrics.Contains(keyMetric), $"{scenario} did not report '{keyMetric}'; it reported: {string.Join(", ", metrics)}");
            passed = true;
        }
        finally
        {
            // A failed run keeps the operator's log for diagnosis.
            if (passed) directory.Delete(recursive: true);
        }
    }

    /// <summary>
    /// The operator built in this test run's configuration (Debug or Release), started with dotnet, or the executable
    /// <see cref="OperatorBinary.Variable"/> names (CI: the published build).
    /// </summary>
    private static string OperatorCommand()
    {
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        var dll = Path.Combine(RepositoryRoot.Path, "src", "QuayIntegration.Operator", "bin", configuration, "net10.0", "QuayIntegration.Operator.dll");
        Assert.True(File.Exists(dll) || Environment.GetEnvironmentVariable(OperatorBinary.Variable) is { Length: > 0 }, $"operator binary {dll} not found; it is built by this project's reference");
        return OperatorBinary.ShellCommand(dll);
    }
}
