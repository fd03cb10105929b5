using System.Diagnostics;

namespace QuayIntegration.Benchmarks.World;

/// <summary>Starts the emulators and builds the usual world before the operator starts; reports how long that took.</summary>
public static class WorldSetup
{
    public static IReadOnlyList<string> NamespaceNames(int count, string prefix = "bench") =>
        Enumerable.Range(0, count).Select(i => $"{prefix}-{i:D5}").ToList();

    public static async Task<(BenchmarkWorld World, TimeSpan BuildTime)> BuildAsync(int latencyMs, IReadOnlyList<string> namespaces,
        int imageStreams, Clutter clutter, string driftCheckInterval, CancellationToken ct)
    {
        var world = await BenchmarkWorld.StartAsync(latencyMs, ct);
        try
        {
            var watch = Stopwatch.StartNew();
            await world.InstallIntegrationAsync(driftCheckInterval, ct);
            await world.PopulateAsync(namespaces, imageStreams, clutter, ct);
            Console.WriteLine($"World built: {namespaces.Count} namespaces × {imageStreams} ImageStreams in {watch.Elapsed.TotalSeconds:N1} s");
            return (world, watch.Elapsed);
        }
        catch
        {
            await world.DisposeAsync();
            throw;
        }
    }
}
