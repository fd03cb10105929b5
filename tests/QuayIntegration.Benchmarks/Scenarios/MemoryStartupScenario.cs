using System.Diagnostics;
using System.Globalization;
using QuayIntegration.Benchmarks.Framework;
using QuayIntegration.Benchmarks.Measuring;
using QuayIntegration.Benchmarks.Operator;
using QuayIntegration.Benchmarks.World;

namespace QuayIntegration.Benchmarks.Scenarios;

/// <summary>
/// Issue 7, scenario 5: the operator's peak RSS (VmHWM, the kernel's own high-water mark) on a world of N namespaces
/// with the usual OpenShift clutter (unrelated Secrets and ConfigMaps it must not cache), through start-up and the
/// whole convergence, and the time from process start to the first 200 of /readyz. Quay latency defaults to 0 here:
/// it only stretches the run, while the memory held is set by the world's size.
/// </summary>
public sealed class MemoryStartupScenario : IScenario
{
    public string Name => "memory-startup";

    public string Description => "peak RSS with N namespaces and their clutter, and time from start to ready";

    public IReadOnlyList<(string Option, string Help)> OptionHelp =>
    [
        ("namespaces <N>", "namespaces (default 5000; smoke 10); the ready target is stated for N=1000"),
        ("imagestreams <M>", "ImageStreams per namespace (default 3; smoke 1)"),
        ("secrets <n>", "unrelated Secrets per namespace (default 4)"),
        ("configmaps <n>", "unrelated ConfigMaps per namespace (default 4)"),
        ("secret-bytes <n>", "size of each unrelated Secret's value (default 512)"),
        ("timeout <s>", "how long to wait for full convergence (default 900; smoke 60); RSS is reported either way"),
        .. OperatorRunOptions.Help,
    ];

    public async Task<ScenarioResult> RunAsync(ScenarioOptions options, CancellationToken ct)
    {
        var run = OperatorRunOptions.Read(options, defaultLatencyMs: 0);
        var n = options.Int("namespaces", run.Smoke ? 10 : 5000);
        var m = options.Int("imagestreams", run.Smoke ? 1 : 3);
        var clutter = new Clutter(options.Int("secrets", 4), options.Int("configmaps", 4), options.Int("secret-bytes", 512));
        var timeout = TimeSpan.FromSeconds(options.Double("timeout", run.Smoke ? 60 : 900));

        var result = new ScenarioResult { Scenario = Name };
        run.Describe(result);
        result.Parameters["namespaces"] = n.ToString(CultureInfo.InvariantCulture);
        result.Parameters["imagestreams"] = m.ToString(CultureInfo.InvariantCulture);
        result.Parameters["clutter"] = $"{clutter.Secrets} Secrets ({clutter.SecretBytes} B) + {clutter.ConfigMaps} ConfigMaps per namespace";

        var names = WorldSetup.NamespaceNames(n);
        var (world, buildTime) = await WorldSetup.BuildAsync(run.LatencyMs, names, m, clutter, "1h", ct);
        await using var _w = world;
        await using var op = OperatorProcess.Start(run.Launch(Name, world.KubeconfigPath, BenchmarkWorld.OperatorNamespace));
        var clock = Stopwatch.StartNew();
        var ready = await op.WaitReadyAsync(TimeSpan.FromSeconds(300), ct);
        var rssAtReady = op.CurrentRssBytes;
        var peakAtReady = op.PeakRssBytes;
        var (converged, remaining, example) = await new ConvergenceProbe(world).WaitAllAsync(names, m, clock, timeout,
            TimeSpan.FromMilliseconds(run.Smoke ? 200 : 1000), () => op.HasExited, ct);
        var unfinished = op.WhyUnfinished(timeout); // now: the operator may still exit while the harness waits below
        await QuayCallCounts.WaitQuietAsync(world.Quay, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30), ct);

        const double MiB = 1048576.0;
        result.Add("World build (harness)", buildTime.TotalSeconds, "s")
            .Add("Objects per namespace", 1 + 2 * BenchmarkWorld.ServiceAccounts.Length + clutter.Secrets + clutter.ConfigMaps + m, "count")
            .Add("Ready after process start", ready.TotalSeconds, "s")
            .Add("RSS at ready", rssAtReady / MiB, "MiB")
            .Add("Peak RSS until ready", peakAtReady / MiB, "MiB")
            .Add("Converged", converged is null ? 0 : 1, "bool")
            .Add("Namespaces not set up at the end", remaining, "count");
        if (converged is { } c) result.Add("Time to full setup", c.TotalSeconds, "s");
        result.Add("RSS at the end", op.CurrentRssBytes / MiB, "MiB")
            .Add("Peak RSS (VmHWM)", op.PeakRssBytes / MiB, "MiB");
        result.Headline = $"memory-startup: N={n}: peak RSS {op.PeakRssBytes / MiB:N0} MiB, ready {ready.TotalSeconds:N2} s after start" +
                          (converged is null ? $", NOT converged, {unfinished} ({remaining} left, e.g. {example})" : $", fully set up in {converged.Value.TotalSeconds:N0} s") +
                          $" ({Environment.ProcessorCount} cores)";
        return result;
    }
}
