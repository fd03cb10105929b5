using System.Diagnostics;
using QuayIntegration.Benchmarks.Framework;
using QuayIntegration.Benchmarks.Operator;

namespace QuayIntegration.Benchmarks.Measuring;

/// <summary>
/// The precondition of the scenarios that measure a converged world (steady state, churn): the operator is ready and
/// every base namespace is fully set up. When that never happens, the result says why and nothing else is measured.
/// </summary>
public static class BaseConvergence
{
    /// <summary>The time to full setup, or null (with <paramref name="result"/> explaining why) if it never came.</summary>
    public static async Task<TimeSpan?> WaitAsync(ScenarioResult result, OperatorProcess op, ConvergenceProbe probe,
        IReadOnlyList<string> namespaces, int imageStreams, Stopwatch clock, TimeSpan timeout, CancellationToken ct)
    {
        await op.WaitReadyAsync(TimeSpan.FromSeconds(120), ct);
        var (converged, remaining, example) = await probe.WaitAllAsync(namespaces, imageStreams, clock, timeout,
            TimeSpan.FromMilliseconds(250), () => op.HasExited, ct);
        if (converged is null)
        {
            result.Add("Converged", 0, "bool").Add("Namespaces not set up", remaining, "count");
            result.Headline = $"{result.Scenario}: the base world never converged ({remaining} of {namespaces.Count} not set up, e.g. {example}); nothing measured. Log: {op.LogPath}";
        }
        return converged;
    }
}
