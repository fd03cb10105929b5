using QuayIntegration.Benchmarks.Framework;
using QuayIntegration.Emulators.Quay;
using QuayIntegration.Emulators.Quay.Accounting;

namespace QuayIntegration.Benchmarks.Measuring;

/// <summary>
/// Quay calls counted by the emulator (per method, route template and status) over a window: a baseline is taken at
/// the start and subtracted, so the counters never need resetting while the operator runs.
/// </summary>
public sealed class QuayCallCounts
{
    private readonly IReadOnlyList<CallCount> _calls;

    private QuayCallCounts(IReadOnlyList<CallCount> calls) => _calls = calls;

    public static IReadOnlyList<CallCount> Baseline(QuayEmulator quay) => quay.Calls.Snapshot();

    public static QuayCallCounts Since(QuayEmulator quay, IReadOnlyList<CallCount> baseline)
    {
        var before = baseline.ToDictionary(c => (c.Method, c.Route, c.Status), c => c.Count);
        var delta = quay.Calls.Snapshot()
            .Select(c => c with { Count = c.Count - before.GetValueOrDefault((c.Method, c.Route, c.Status)) })
            .Where(c => c.Count > 0).ToList();
        return new QuayCallCounts(delta);
    }

    /// <summary>Waits until Quay has seen no call for <paramref name="quiet"/> (at most <paramref name="max"/>).</summary>
    public static async Task WaitQuietAsync(QuayEmulator quay, TimeSpan quiet, TimeSpan max, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var last = quay.Calls.Total;
        var lastChange = DateTime.UtcNow;
        while (DateTime.UtcNow - lastChange < quiet && DateTime.UtcNow - started < max)
        {
            await Task.Delay(100, ct);
            var now = quay.Calls.Total;
            if (now != last)
            {
                last = now;
                lastChange = DateTime.UtcNow;
            }
        }
    }

    public long Total => _calls.Sum(c => c.Count);

    /// <summary>Anything but GET/HEAD changes (or tries to change) Quay.</summary>
    public long Writes => _calls.Where(c => c.Method is not ("GET" or "HEAD")).Sum(c => c.Count);

    public long Errors => _calls.Where(c => c.Status is 0 or >= 500).Sum(c => c.Count);

    /// <summary>Adds one row per method + route (and status when not 2xx) to the result, prefixed for grouping.</summary>
    public void AddTo(ScenarioResult result, string prefix)
    {
        foreach (var group in _calls.GroupBy(c => (c.Method, c.Route, Status: c.Status is >= 200 and < 300 ? 0 : c.Status))
                     .OrderBy(g => g.Key.Route, StringComparer.Ordinal).ThenBy(g => g.Key.Method, StringComparer.Ordinal))
        {
            var status = group.Key.Status == 0 ? "" : $" → {group.Key.Status}";
            result.Add($"{prefix}{group.Key.Method} {group.Key.Route}{status}", group.Sum(c => c.Count), "count");
        }
    }
}
