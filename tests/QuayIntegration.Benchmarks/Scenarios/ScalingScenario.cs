using System.Globalization;
using QuayIntegration.Benchmarks.Framework;

namespace QuayIntegration.Benchmarks.Scenarios;

/// <summary>
/// Issue 16's scaling curve: cold convergence (which also measures ready time and peak RSS through the whole
/// convergence, with the usual clutter) at several sizes, one fresh world and operator each, drawn as time to converge
/// and peak RSS against N, with each size's convergence curve.
/// </summary>
public sealed class ScalingScenario : IScenario
{
    public string Name => "scaling";

    public string Description => "cold convergence and peak memory at several N (default 1000, 5000, 10000, 20000), with charts";

    public IReadOnlyList<(string Option, string Help)> OptionHelp =>
    [
        ("sizes <N,N,…>", "namespace counts (default 1000,5000,10000,20000; smoke 3,6)"),
        ("imagestreams <M>", "ImageStreams per namespace (default 3)"),
        ("timeout <s>", "give up on one size after (default 1800)"),
        .. Operator.OperatorRunOptions.Help,
    ];

    public async Task<ScenarioResult> RunAsync(ScenarioOptions options, CancellationToken cancellationToken)
    {
        var smoke = options.Flag("smoke");
        var sizes = (options.String("sizes") ?? (smoke ? "3,6" : "1000,5000,10000,20000"))
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s, CultureInfo.InvariantCulture)).Order().ToList();
        var passOn = PassedOn(options, smoke);

        var result = new ScenarioResult { Scenario = Name };
        result.Parameters["sizes"] = string.Join(",", sizes);
        var converge = new List<(double X, double Y)>();
        var fromReady = new List<(double X, double Y)>();
        var bound = new List<(double X, double Y)>();
        var rss = new List<(double X, double Y)>();
        var ready = new List<(double X, double Y)>();
        var curves = new List<ChartSeries>();
        foreach (var n in sizes)
        {
            Console.Error.WriteLine($"scaling: N={n}");
            var one = await new ColdConvergenceScenario().RunAsync(new ScenarioOptions([.. passOn, "--namespaces", n.ToString(CultureInfo.InvariantCulture)]), cancellationToken);
            foreach (var (key, value) in one.Parameters) result.Parameters.TryAdd(key == "namespaces" ? "" : key, value);
            double? Metric(string name) => one.Metrics.FirstOrDefault(m => m.Name == name)?.Value;
            var time = Metric("Time to full setup (from process start)");
            if (time is { } t) converge.Add((n, t));
            if (Metric("Time to full setup (from ready)") is { } r) fromReady.Add((n, r));
            if (Metric("Lower bound minimal writes × L / C") is { } b) bound.Add((n, b));
            if (Metric("Operator peak RSS") is { } peak) rss.Add((n, peak));
            if (Metric("Operator ready after start") is { } up) ready.Add((n, up));
            foreach (var metric in one.Metrics.Where(m => !m.Name.StartsWith("  ", StringComparison.Ordinal)))
                result.Add($"N={n}: {metric.Name}", metric.Value, metric.Unit);
            if (one.Charts.FirstOrDefault(c => c.Name == "curve") is { } curve)
                curves.Add(new ChartSeries($"N={n}", curve.Series[0].Points.Select(p => (p.X, p.Y / n * 100)).ToList()));
            if (time is null) Console.Error.WriteLine($"scaling: N={n} did not converge: {one.Headline}");
        }
        result.Parameters.Remove("");

        var missing = NotConverged(sizes, converge);
        result.Charts.Add(new Chart("time-and-memory",
            "Cold convergence and peak memory against N" + (missing.Length > 0 ? $" (N={missing}: not set up)" : ""),
            "namespaces (N)", "seconds",
            [new ChartSeries("time to full setup", converge), new ChartSeries("lower bound (minimal writes × L / C)", bound), new ChartSeries("ready after start", ready)],
            "operator peak RSS (MiB)", [new ChartSeries("peak RSS", rss)]));
        result.Charts.Add(new Chart("curves", "Convergence curves: share of namespaces fully set up over time",
            "seconds since the operator started", "% of namespaces fully set up", curves));
        result.Headline = "scaling: " + string.Join("; ", sizes.Select(n =>
            $"N={n}: {(converge.FirstOrDefault(c => c.X == n) is var c && c != default ? $"{c.Y:N1} s" : "not converged")}, " +
            $"{(rss.FirstOrDefault(r => r.X == n) is var m && m != default ? $"{m.Y:N0} MiB" : "?")}"));
        return result;
    }

    private static string NotConverged(IEnumerable<int> sizes, List<(double X, double Y)> converged) =>
        string.Join(", ", sizes.Where(n => !converged.Exists(c => c.X == n)));

    /// <summary>The options every size runs with (the operator's, the latency, the ImageStreams, the timeout).</summary>
    private static List<string> PassedOn(ScenarioOptions options, bool smoke)
    {
        var args = new List<string>();
        foreach (var name in new[] { "imagestreams", "timeout", "latency-ms", "concurrency", "workers", "operator-command", "log-dir" })
            if (options.String(name) is { } value) args.AddRange(["--" + name, value]);
        if (smoke) args.Add("--smoke");
        if (!args.Contains("--timeout")) args.AddRange(["--timeout", smoke ? "90" : "1800"]);
        return args;
    }
}
