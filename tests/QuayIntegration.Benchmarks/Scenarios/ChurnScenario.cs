using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using QuayIntegration.Benchmarks.Framework;
using QuayIntegration.Benchmarks.Measuring;
using QuayIntegration.Benchmarks.Operator;
using QuayIntegration.Benchmarks.World;

namespace QuayIntegration.Benchmarks.Scenarios;

/// <summary>
/// Issue 7, scenario 3: on a converged base world, every 1/R seconds a namespace (with its M ImageStreams) is created
/// and an older, fully set-up one deleted, and an ImageStream is added to and one removed from the base namespaces.
/// Measures creation → fully set up and deletion → organization gone (p50, p99, max), and ImageStream creation →
/// repository with permissions. Timestamps are taken before the harness's first write; the probe polls in-process
/// every 50 ms, which is the resolution of every latency printed.
/// </summary>
public sealed class ChurnScenario : IScenario
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(50);

    public string Name => "churn";

    public string Description => "namespaces and ImageStreams created and deleted at a steady rate: setup and teardown latency";

    public IReadOnlyList<(string Option, string Help)> OptionHelp =>
    [
        ("namespaces <N>", "converged base namespaces (default 100; smoke 3)"),
        ("imagestreams <M>", "ImageStreams per namespace (default 3; smoke 1)"),
        ("rate <R>", "namespaces created (and deleted) per second (default 10; smoke 2)"),
        ("duration <s>", "seconds of churn (default 30; smoke 3)"),
        ("timeout <s>", "convergence timeout (default 600; smoke 90)"),
        .. OperatorRunOptions.Help,
    ];

    private sealed record Pending(string Key, long StartedTicks);

    public async Task<ScenarioResult> RunAsync(ScenarioOptions options, CancellationToken ct)
    {
        var run = OperatorRunOptions.Read(options);
        var n = options.Int("namespaces", run.Smoke ? 3 : 100);
        var m = options.Int("imagestreams", run.Smoke ? 1 : 3);
        var rate = options.Double("rate", run.Smoke ? 2 : 10);
        var duration = TimeSpan.FromSeconds(options.Double("duration", run.Smoke ? 3 : 30));
        var timeout = TimeSpan.FromSeconds(options.Double("timeout", run.Smoke ? 90 : 600));

        var result = new ScenarioResult { Scenario = Name };
        run.Describe(result);
        result.Parameters["base_namespaces"] = n.ToString(CultureInfo.InvariantCulture);
        result.Parameters["imagestreams"] = m.ToString(CultureInfo.InvariantCulture);
        result.Parameters["rate_per_s"] = rate.ToString(CultureInfo.InvariantCulture);
        result.Parameters["duration_s"] = duration.TotalSeconds.ToString(CultureInfo.InvariantCulture);

        var baseNames = WorldSetup.NamespaceNames(n);
        var (world, _) = await WorldSetup.BuildAsync(run.LatencyMs, baseNames, m, Clutter.Usual, "1h", ct);
        await using var _w = world;
        var probe = new ConvergenceProbe(world);
        await using var op = OperatorProcess.Start(run.Launch(Name, world.KubeconfigPath, BenchmarkWorld.OperatorNamespace));
        var clock = Stopwatch.StartNew();
        if (await BaseConvergence.WaitAsync(result, op, probe, baseNames, m, clock, timeout, ct) is null) return result;
        await QuayCallCounts.WaitQuietAsync(world.Quay, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), ct);

        var setups = new ConcurrentDictionary<string, long>();     // namespace → creation start
        var teardowns = new ConcurrentDictionary<string, long>();  // namespace → deletion start
        var streams = new ConcurrentDictionary<string, long>();    // "ns/name" → creation start
        var setupMs = new ConcurrentBag<double>();
        var teardownMs = new ConcurrentBag<double>();
        var streamMs = new ConcurrentBag<double>();
        var createMs = new ConcurrentBag<double>();  // the harness's own writes for one namespace, part of every setup time
        var deletable = new ConcurrentQueue<string>(baseNames.Take(Math.Max(0, n - 1)));  // keep one base namespace for ImageStream churn
        var streamHost = baseNames[^1];
        var addedStreams = new ConcurrentQueue<string>();
        var failures = new ConcurrentBag<string>();
        var writes = new List<Task>();

        using var probing = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var prober = Task.Run(async () =>
        {
            while (!probing.IsCancellationRequested)
            {
                var now = Stopwatch.GetTimestamp();
                foreach (var (ns, started) in setups)
                    if (probe.Missing(ns, m) is null && setups.TryRemove(ns, out _))
                    {
                        setupMs.Add(Stopwatch.GetElapsedTime(started, now).TotalMilliseconds);
                        deletable.Enqueue(ns);
                    }
                foreach (var (ns, started) in teardowns)
                    if (!probe.OrganizationExists(ns) && teardowns.TryRemove(ns, out _))
                    {
                        teardownMs.Add(Stopwatch.GetElapsedTime(started, now).TotalMilliseconds);
                        _ = world.FinalizeNamespaceAsync(ns, CancellationToken.None); // kube-controller-manager's part
                    }
                var host = streams.IsEmpty ? null : probe.Organization(BenchmarkWorld.OrganizationFor(streamHost));
                foreach (var (key, started) in streams)
                {
                    var name = key[(key.IndexOf('/') + 1)..];
                    if (host is not null && host.Repositories.TryGetValue(name, out var repo)
                        && BenchmarkWorld.ServiceAccounts.All(sa => repo.UserPermissions.ContainsKey($"{host.Organization.Name}+{sa}"))
                        && streams.TryRemove(key, out _))
                    {
                        streamMs.Add(Stopwatch.GetElapsedTime(started, now).TotalMilliseconds);
                        addedStreams.Enqueue(name);
                    }
                }
                try
                {
                    await Task.Delay(ProbeInterval, probing.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        }, CancellationToken.None);

        var callBaseline = QuayCallCounts.Baseline(world.Quay);
        var period = TimeSpan.FromSeconds(1 / rate);
        var churn = Stopwatch.StartNew();
        var cpu = CpuAccount.Start(op);
        var created = 0;
        var deleted = 0;
        try
        {
            for (var tick = 0; churn.Elapsed < duration; tick++)
            {
                var due = period * tick;
                if (due > churn.Elapsed) await Task.Delay(due - churn.Elapsed, ct);
                var ns = $"churn-{tick:D5}";
                writes.Add(Guarded(failures, async () =>
                {
                    var started = Stopwatch.GetTimestamp();
                    setups[ns] = started;
                    await world.CreateNamespaceAsync(ns, m, Clutter.Usual, ct);
                    createMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }));
                created++;
                if (deletable.TryDequeue(out var victim))
                {
                    deleted++;
                    writes.Add(Guarded(failures, async () =>
                    {
                        teardowns[victim] = Stopwatch.GetTimestamp();
                        await world.DeleteNamespaceAsync(victim, ct);
                    }));
                }
                var stream = $"churn{tick}";
                writes.Add(Guarded(failures, async () =>
                {
                    streams[$"{streamHost}/{stream}"] = Stopwatch.GetTimestamp();
                    await world.CreateImageStreamAsync(streamHost, stream, ct);
                }));
                if (addedStreams.TryDequeue(out var old)) writes.Add(Guarded(failures, () => world.DeleteImageStreamAsync(streamHost, old, ct)));
            }
            await Task.WhenAll(writes);
            cpu.Stop();
            // Let every started setup and teardown finish (or time out) before reading the figures.
            var drain = Stopwatch.StartNew();
            while ((!setups.IsEmpty || !teardowns.IsEmpty || !streams.IsEmpty) && drain.Elapsed < TimeSpan.FromSeconds(run.Smoke ? 30 : 60) && !op.HasExited)
                await Task.Delay(100, ct);
        }
        finally
        {
            await probing.CancelAsync();
            await prober;
        }
        var calls = QuayCallCounts.Since(world.Quay, callBaseline);

        result.Add("Namespaces created", created, "count")
            .Add("Namespaces deleted", deleted, "count")
            .Add("Harness write failures", failures.Count, "count")
            .Add("Setups not finished", setups.Count, "count")
            .Add("Teardowns not finished", teardowns.Count, "count")
            .Add("Setup p50", Percentiles.Of(setupMs, 0.50), "ms")
            .Add("Setup p99", Percentiles.Of(setupMs, 0.99), "ms")
            .Add("Setup max", setupMs.DefaultIfEmpty(0).Max(), "ms")
            .Add("Harness: writing one namespace's objects p50", Percentiles.Of(createMs, 0.50), "ms")
            .Add("Harness: writing one namespace's objects p99", Percentiles.Of(createMs, 0.99), "ms")
            .Add("Teardown (delete → organization gone) p50", Percentiles.Of(teardownMs, 0.50), "ms")
            .Add("Teardown p99", Percentiles.Of(teardownMs, 0.99), "ms")
            .Add("Teardown max", teardownMs.DefaultIfEmpty(0).Max(), "ms")
            .Add("ImageStream → repository p50", Percentiles.Of(streamMs, 0.50), "ms")
            .Add("ImageStream → repository p99", Percentiles.Of(streamMs, 0.99), "ms")
            .Add("Quay calls during churn", calls.Total, "count");
        cpu.AddTo(result, "during churn");
        result.Add("Operator peak RSS", op.PeakRssBytes / 1048576.0, "MiB");
        calls.AddTo(result, "  ");
        if (!failures.IsEmpty) Console.Error.WriteLine("First harness write failure: " + failures.First());

        result.Headline = $"churn: {rate}/s for {duration.TotalSeconds:N0} s, L={run.LatencyMs}ms: setup p50 {Percentiles.Of(setupMs, 0.5):N0} ms, " +
                          $"p99 {Percentiles.Of(setupMs, 0.99):N0} ms; teardown p50 {Percentiles.Of(teardownMs, 0.5):N0} ms, p99 {Percentiles.Of(teardownMs, 0.99):N0} ms " +
                          $"({setups.Count} setups, {teardowns.Count} teardowns unfinished; {Environment.ProcessorCount} cores)";
        return result;
    }

    private static async Task Guarded(ConcurrentBag<string> failures, Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            failures.Add(e.Message);
        }
    }
}
