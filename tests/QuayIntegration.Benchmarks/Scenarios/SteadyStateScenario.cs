using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayIntegration.Benchmarks.Framework;
using QuayIntegration.Benchmarks.Measuring;
using QuayIntegration.Benchmarks.Operator;
using QuayIntegration.Benchmarks.World;

namespace QuayIntegration.Benchmarks.Scenarios;

/// <summary>
/// Issue 7, scenario 2: the converged world left alone. Three windows, each counted separately:
/// (1) quiet, no drift check due: calls caused by the operator's own updates echoing back through its watches;
/// (2) events that change nothing: an unrelated label on every namespace, an unrelated annotation on every service
///     account and on every Secret the operator wrote;
/// (3) several drift periods (driftCheckInterval D, set after (1) and (2)): calls per namespace per drift check, and
///     writes (there should be none).
/// </summary>
public sealed class SteadyStateScenario : IScenario
{
    public string Name => "steady-state";

    public string Description => "Quay calls of a converged world: per namespace per drift check, and for events that change nothing";

    public IReadOnlyList<(string Option, string Help)> OptionHelp =>
    [
        ("namespaces <N>", "namespaces (default 1000; smoke 3)"),
        ("imagestreams <M>", "ImageStreams per namespace (default 3; smoke 2)"),
        ("drift <s>", "driftCheckInterval D in seconds during window 3 (default 30; smoke 2)"),
        ("checks <K>", "drift periods measured in window 3 (default 3; smoke 2)"),
        ("quiet <s>", "length of windows 1 and 2 (default 15; smoke 1)"),
        ("timeout <s>", "convergence timeout before measuring (default 900; smoke 90)"),
        .. OperatorRunOptions.Help,
    ];

    public async Task<ScenarioResult> RunAsync(ScenarioOptions options, CancellationToken ct)
    {
        var run = OperatorRunOptions.Read(options);
        var n = options.Int("namespaces", run.Smoke ? 3 : 1000);
        var m = options.Int("imagestreams", run.Smoke ? 2 : 3);
        var drift = TimeSpan.FromSeconds(options.Double("drift", run.Smoke ? 2 : 30));
        var checks = options.Int("checks", run.Smoke ? 2 : 3);
        var quiet = TimeSpan.FromSeconds(options.Double("quiet", run.Smoke ? 1 : 15));
        var timeout = TimeSpan.FromSeconds(options.Double("timeout", run.Smoke ? 90 : 900));

        var result = new ScenarioResult { Scenario = Name };
        run.Describe(result);
        result.Parameters["namespaces"] = n.ToString(CultureInfo.InvariantCulture);
        result.Parameters["imagestreams"] = m.ToString(CultureInfo.InvariantCulture);
        result.Parameters["drift_s"] = drift.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        result.Parameters["drift_checks"] = checks.ToString(CultureInfo.InvariantCulture);

        var names = WorldSetup.NamespaceNames(n);
        var (world, _) = await WorldSetup.BuildAsync(run.LatencyMs, names, m, Clutter.Usual, "1h", ct);
        await using var _w = world;
        var probe = new ConvergenceProbe(world);
        await using var op = OperatorProcess.Start(run.Launch(Name, world.KubeconfigPath, BenchmarkWorld.OperatorNamespace));
        var sinceStart = Stopwatch.StartNew();
        if (await BaseConvergence.WaitAsync(result, op, probe, names, m, sinceStart, timeout, ct) is not { } converged) return result;
        result.Add("Converged", 1, "bool").Add("Time to full setup", converged.TotalSeconds, "s");
        await QuayCallCounts.WaitQuietAsync(world.Quay, TimeSpan.FromSeconds(run.Smoke ? 1 : 3), TimeSpan.FromSeconds(60), ct);

        // Window 1: nothing happens; no drift check is due (interval 1h).
        var baseline = QuayCallCounts.Baseline(world.Quay);
        await Task.Delay(quiet, ct);
        var idle = QuayCallCounts.Since(world.Quay, baseline);
        result.Add("Window 1 (idle, no drift due): Quay calls", idle.Total, "count");
        idle.AddTo(result, "  idle: ");

        // Window 2: events that change nothing the operator cares about.
        baseline = QuayCallCounts.Baseline(world.Quay);
        var events = await TouchEverythingAsync(world, names, ct);
        await Task.Delay(quiet, ct);
        var noop = QuayCallCounts.Since(world.Quay, baseline);
        result.Add("Window 2: no-op events sent", events, "count")
            .Add("Window 2 (no-op events): Quay calls", noop.Total, "count");
        noop.AddTo(result, "  no-op: ");

        // Window 3: drift checks. Changing the CR may itself re-verify everything; that settles before measuring.
        await world.PatchIntegrationSpecAsync(new JsonObject { ["driftCheckInterval"] = $"{drift.TotalSeconds:0}s" }, ct);
        await Task.Delay(drift, ct);
        await QuayCallCounts.WaitQuietAsync(world.Quay, TimeSpan.FromSeconds(1), drift, ct);
        baseline = QuayCallCounts.Baseline(world.Quay);
        var window = Stopwatch.StartNew();
        await Task.Delay(drift * checks, ct);
        var driftCalls = QuayCallCounts.Since(world.Quay, baseline);
        var periods = window.Elapsed / drift;
        var perNamespacePerCheck = driftCalls.Total / (n * periods);
        result.Add("Window 3 length", window.Elapsed.TotalSeconds, "s")
            .Add("Window 3 drift periods", periods, "count")
            .Add("Window 3 Quay calls", driftCalls.Total, "count")
            .Add("Window 3 Quay writes", driftCalls.Writes, "count")
            .Add("Quay calls per namespace per drift check", perNamespacePerCheck, "calls")
            .Add("Operator peak RSS", op.PeakRssBytes / 1048576.0, "MiB");
        driftCalls.AddTo(result, "  drift: ");

        result.Headline = $"steady-state: N={n} M={m}: {perNamespacePerCheck:N2} Quay calls per namespace per drift check, {driftCalls.Writes} writes; " +
                          $"{idle.Total} calls while idle, {noop.Total} calls for {events} no-op events ({Environment.ProcessorCount} cores)";
        return result;
    }

    /// <summary>Unrelated label on each namespace, unrelated annotation on each matrix service account and managed Secret.</summary>
    private static async Task<int> TouchEverythingAsync(BenchmarkWorld world, IReadOnlyList<string> names, CancellationToken ct)
    {
        var count = 0;
        var stamp = DateTime.UtcNow.Ticks.ToString(CultureInfo.InvariantCulture);
        var label = new V1Patch($"{{\"metadata\":{{\"labels\":{{\"bench/touched\":\"{stamp}\"}}}}}}", V1Patch.PatchType.MergePatch);
        var annotation = new V1Patch($"{{\"metadata\":{{\"annotations\":{{\"bench/touched\":\"{stamp}\"}}}}}}", V1Patch.PatchType.MergePatch);
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (ns, token) =>
        {
            await world.Client.CoreV1.PatchNamespaceAsync(label, ns, cancellationToken: token);
            Interlocked.Increment(ref count);
            foreach (var sa in BenchmarkWorld.ServiceAccounts)
            {
                await world.Client.CoreV1.PatchNamespacedServiceAccountAsync(annotation, sa, ns, cancellationToken: token);
                await world.Client.CoreV1.PatchNamespacedSecretAsync(annotation, $"{sa}-quay-{BenchmarkWorld.ClusterId}", ns, cancellationToken: token);
                Interlocked.Add(ref count, 2);
            }
        });
        return count;
    }
}
