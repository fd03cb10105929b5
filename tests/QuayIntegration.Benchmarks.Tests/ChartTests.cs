using QuayIntegration.Benchmarks.Framework;

namespace QuayIntegration.Benchmarks.Tests;

/// <summary>The charts written next to a result, and drawn again from the saved JSON alone.</summary>
public sealed class ChartTests
{
    [Fact]
    public async Task A_saved_result_draws_the_same_charts_again_with_each_series_on_its_axis()
    {
        var directory = Directory.CreateTempSubdirectory("bench-charts-");
        try
        {
            var result = new ScenarioResult { Scenario = "scaling" };
            result.Charts.Add(new Chart("time-and-memory", "Time and memory", "namespaces (N)", "seconds",
                [new ChartSeries("time to full setup", [(1000, 23.6), (5000, 122.5)])],
                "operator peak RSS (MiB)", [new ChartSeries("peak RSS", [(1000, 199), (5000, 341)])]));
            var measuredAt = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
            var machine = new MachineInfo(2, "Debian GNU/Linux 12 (bookworm)", ".NET 10.0.12", "X64");
            var json = await ResultReporter.WriteJsonAsync(result, machine, measuredAt, Path.Combine(directory.FullName, "scaling.json"));
            var svg = Path.Combine(directory.FullName, "scaling-time-and-memory.svg");
            var first = await File.ReadAllTextAsync(svg);
            File.Delete(svg);

            var written = await ResultReporter.RedrawChartsAsync(json);

            Assert.Equal([svg], written);
            var again = await File.ReadAllTextAsync(svg);
            Assert.Equal(first, again);
            // The right-hand axis exists only if the saved JSON kept which series belong to it.
            Assert.Contains("operator peak RSS (MiB)", again);
            Assert.Contains("measured 2026-11-30", again);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_file_that_is_not_a_result_is_refused_with_its_name()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "{\"startedAt\":\"2026-11-30T12:00:00Z\",\"machine\":{\"processorCount\":2,\"operatingSystem\":\"x\",\"runtime\":\"y\",\"architecture\":\"X64\"}}");
            var e = await Assert.ThrowsAsync<InvalidDataException>(() => ResultReporter.RedrawChartsAsync(file));
            Assert.Contains(file, e.Message);
            Assert.Equal(1, await new BenchmarkRunner([]).RunAsync(["charts", file]));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
