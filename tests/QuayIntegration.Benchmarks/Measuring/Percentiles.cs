namespace QuayIntegration.Benchmarks.Measuring;

public static class Percentiles
{
    /// <summary>Nearest-rank percentile of an unsorted sample (0 when empty).</summary>
    public static double Of(IEnumerable<double> values, double percentile)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(percentile * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
