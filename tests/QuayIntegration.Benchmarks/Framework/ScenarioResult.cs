namespace QuayIntegration.Benchmarks.Framework;

/// <summary>One measured figure.</summary>
public sealed record Metric(string Name, double Value, string Unit);

/// <summary>A line of a chart: its points (x, y) in the chart's units.</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points);

/// <summary>A chart a scenario draws: written as SVG next to the JSON result, and its data in the JSON.</summary>
/// <param name="Name">File-name part: <c>&lt;result&gt;-&lt;name&gt;.svg</c>.</param>
/// <param name="RightAxisSeries">Series drawn against a second, right-hand axis titled <paramref name="RightAxisTitle"/>.</param>
public sealed record Chart(string Name, string Title, string XTitle, string YTitle, IReadOnlyList<ChartSeries> Series,
    string? RightAxisTitle = null, IReadOnlyList<ChartSeries>? RightAxisSeries = null);

/// <summary>What a scenario measured, with the parameters it ran with.</summary>
public sealed class ScenarioResult
{
    public required string Scenario { get; init; }
    public Dictionary<string, string> Parameters { get; } = new(StringComparer.Ordinal);
    public List<Metric> Metrics { get; } = [];
    public List<Chart> Charts { get; } = [];

    /// <summary>The figure that answers the scenario's question (e.g. requests/s), shown first.</summary>
    public string? Headline { get; set; }

    public ScenarioResult Add(string name, double value, string unit)
    {
        Metrics.Add(new Metric(name, value, unit));
        return this;
    }
}

/// <summary>Where a result was measured.</summary>
public sealed record MachineInfo(int ProcessorCount, string OperatingSystem, string Runtime, string Architecture)
{
    public static MachineInfo Current => new(
        Environment.ProcessorCount,
        System.Runtime.InteropServices.RuntimeInformation.OSDescription,
        System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString());
}
