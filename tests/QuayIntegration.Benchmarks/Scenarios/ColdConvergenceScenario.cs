using System.Diagnostics;
using System.Globalization;
using QuayIntegration.Benchmarks.Framework;
using QuayIntegration.Benchmarks.Measuring;
using QuayIntegration.Benchmarks.Operator;
using QuayIntegration.Benchmarks.World;

namespace QuayIntegration.Benchmarks.Scenarios;

/// <summary>
/// Issue 7, scenario 1: N namespaces × M ImageStreams exist before the operator starts; how long until every namespace
/// is fully set up, how many Quay calls that took, and how that compares with the minimal writes and with the lower
/// bound <c>minimal writes × L / C</c> (every write waits L, at most C at a time).
/// </summary>
public sealed class ColdConvergenceScenario : IScenario
{
    public string Name => "cold-convergence";

    public string Description => "time and Quay calls until N pre-existing namespaces × M ImageStreams are fully set up";

    public IReadOnlyList<(string Option, string Help)> OptionHelp =>
    [
        ("namespaces <N>", "namespaces (default 1000; smoke 5)"),
        ("imagestreams <M>", "ImageStreams per namespace (default 3; smoke 2)"),
        ("timeout <s>", "give up after (default 900; smoke 90)"),
        .. OperatorRunOptions.Help,
    ];

    public async Task<ScenarioResult> RunAsync(ScenarioOptions options, CancellationToken ct)
    {
        var run = OperatorRunOptions.Read(options);
        var n = options.Int("namespaces", run.Smoke ? 5 : 1000);
        var m = options.Int("imagestreams", run.Smoke ? 2 : 3);
        var timeout = TimeSpan.FromSeconds(options.Double("timeout", run.Smoke ? 90 : 900));
        var serviceAccounts = BenchmarkWorld.ServiceAccounts.Length;

        var result = new ScenarioResult { Scenario = Name };
        run.Describe(result);
        result.Parameters["namespaces"] = n.ToString(CultureInfo.InvariantCulture);
        result.Parameters["imagestreams"] = m.ToString(CultureInfo.InvariantCulture);
        result.Parameters["service_accounts"] = serviceAccounts.ToString(CultureInfo.InvariantCulture);

        var names = WorldSetup.NamespaceNames(n);
        // A long drift interval: no drift check may fall inside the measured convergence.
        var (world, buildTime) = await WorldSetup.BuildAsync(run.LatencyMs, names, m, Clutter.Usual, "1h", ct);
        await using var _ = world;
        var probe = new ConvergenceProbe(world);
        var baseline = QuayCallCounts.Baseline(world.Quay);
        var serviceBefore = world.Quay.Calls.ServiceTime;
        var apiBefore = world.Api.Requests.Snapshot();

        await using var op = OperatorProcess.Start(run.Launch(Name, world.KubeconfigPath, BenchmarkWorld.OperatorNamespace));
        var sinceStart = Stopwatch.StartNew();
        var cpu = CpuAccount.Start(op);
        var ready = await op.WaitReadyAsync(TimeSpan.FromSeconds(120), ct);
        var progress = new List<(double Seconds, double Done)>();
        var (elapsed, remaining, example) = await probe.WaitAllAsync(names, m, sinceStart, timeout,
            TimeSpan.FromMilliseconds(run.Smoke ? 100 : 250), () => op.HasExited, ct, progress);
        var unfinished = op.WhyUnfinished(timeout); // now: the operator may still exit while the harness waits below
        cpu.Stop();
        // Calls still in flight when the last namespace looked complete belong to the convergence too.
        await QuayCallCounts.WaitQuietAsync(world.Quay, TimeSpan.FromSeconds(run.Smoke ? 1 : 3), TimeSpan.FromSeconds(30), ct);
        var calls = QuayCallCounts.Since(world.Quay, baseline);
        var served = world.Quay.Calls.ServiceTime - serviceBefore;
        // Everything the API server served meanwhile is the operator's: the harness reads the cluster from storage.
        var apiRequests = world.Api.Requests.Snapshot()
            .Select(r => (r.Key.Verb, r.Key.Resource, Count: r.Value - apiBefore.GetValueOrDefault(r.Key)))
            .Where(r => r.Count > 0).OrderBy(r => r.Resource, StringComparer.Ordinal).ThenBy(r => r.Verb, StringComparer.Ordinal).ToList();

        var minimalWrites = (long)n * (1 + 2 * serviceAccounts + m);
        var lowerBound = TimeSpan.FromMilliseconds(minimalWrites * (double)run.LatencyMs / run.Concurrency);
        result.Add("World build (harness)", buildTime.TotalSeconds, "s")
            .Add("Operator ready after start", ready.TotalSeconds, "s")
            .Add("Converged", elapsed is null ? 0 : 1, "bool")
            .Add("Namespaces not set up at the end", remaining, "count");
        if (elapsed is { } t) result.Add("Time to full setup (from process start)", t.TotalSeconds, "s")
            .Add("Time to full setup (from ready)", (t - ready).TotalSeconds, "s");
        result.Add("Quay calls, total", calls.Total, "count")
            .Add("Quay writes (non-GET)", calls.Writes, "count")
            .Add("Quay 5xx/dropped answers", calls.Errors, "count")
            .Add("Minimal writes N×(1+2×SA+M)", minimalWrites, "count")
            .Add("Ratio total calls / minimal writes", calls.Total / (double)minimalWrites, "x")
            .Add("Lower bound minimal writes × L / C", lowerBound.TotalSeconds, "s");
        if (elapsed is { } e && lowerBound > TimeSpan.Zero)
        {
            // The same bound for the calls actually made separates "too many calls" from "calls not overlapped enough".
            var boundForCallsMade = calls.Total * (double)run.LatencyMs / run.Concurrency / 1000;
            result.Add("Ratio time / lower bound", e.TotalSeconds / lowerBound.TotalSeconds, "x")
                .Add("Lower bound for the calls made (calls × L / C)", boundForCallsMade, "s")
                .Add("Mean Quay calls in flight (calls × L / time from ready)", calls.Total * run.LatencyMs / 1000.0 / (e - ready).TotalSeconds, "calls")
                // What Quay itself saw: how long each call spent in it (L included), and how many it served at once.
                // Against C, the difference is what each call cost outside Quay (the client's TLS, HTTP and scheduling).
                .Add("Mean Quay service time per call (emulator, L included)", calls.Total == 0 ? 0 : served.TotalMilliseconds / calls.Total, "ms")
                .Add("Mean Quay calls being served (service time / time from ready)", served.TotalSeconds / (e - ready).TotalSeconds, "calls");
        }
        cpu.AddTo(result, "start → set up");
        result.Add("Operator peak RSS", op.PeakRssBytes / 1048576.0, "MiB");
        calls.AddTo(result, "  ");
        result.Add("API server requests, total (operator)", apiRequests.Sum(r => r.Count), "count")
            .Add("API server writes per namespace (create, update, patch, delete)",
                apiRequests.Where(r => r.Verb is "create" or "update" or "patch" or "delete").Sum(r => r.Count) / (double)n, "requests");
        foreach (var (verb, resource, count) in apiRequests) result.Add($"  api {verb} {resource}", count, "count");
        result.Charts.Add(new Chart("curve", $"Cold convergence: namespaces fully set up (N={n}, M={m}, L={run.LatencyMs} ms, C={run.Concurrency})",
            "seconds since the operator started", "namespaces fully set up",
            [
                new ChartSeries("fully set up", progress),
                // The best any operator could do: every minimal write waits L, at most C at a time, from the moment it is ready.
                new ChartSeries("lower bound from ready", [(ready.TotalSeconds, 0), (ready.TotalSeconds + lowerBound.TotalSeconds, n)]),
            ]));

        result.Headline = elapsed is { } done
            ? $"cold-convergence: N={n} M={m} L={run.LatencyMs}ms C={run.Concurrency}: fully set up in {done.TotalSeconds:N1} s " +
              $"(lower bound {lowerBound.TotalSeconds:N1} s), {calls.Total:N0} Quay calls = {calls.Total / (double)minimalWrites:N2}× minimal writes, {Environment.ProcessorCount} cores"
            : $"cold-convergence: NOT converged, {unfinished}: {remaining} of {n} namespaces not set up (e.g. {example}); log {op.LogPath}";
        return result;
    }
}
