using System.Globalization;
using System.Text;
using System.Text.Json;

namespace QuayIntegration.Benchmarks.Framework;

/// <summary>Prints a result as a table and writes it as JSON.</summary>
public static class ResultReporter
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Table(ScenarioResult result, MachineInfo machine, DateTimeOffset startedAt)
    {
        var text = new StringBuilder();
        text.AppendLine($"Scenario: {result.Scenario}   started {startedAt:u}");
        text.AppendLine($"Machine:  {machine.ProcessorCount} cores, {machine.OperatingSystem}, {machine.Runtime}, {machine.Architecture}");
        if (result.Parameters.Count > 0)
            text.AppendLine("Params:   " + string.Join(", ", result.Parameters.Select(p => $"{p.Key}={p.Value}")));
        text.AppendLine();

        var rows = result.Metrics.Select(m => (m.Name, Value: m.Value.ToString(m.Unit == "count" || m.Value >= 100 ? "N0" : "N2", CultureInfo.InvariantCulture), m.Unit)).ToList();
        var nameWidth = Math.Max("Metric".Length, rows.Max(r => r.Name.Length));
        var valueWidth = Math.Max("Value".Length, rows.Max(r => r.Value.Length));
        var unitWidth = Math.Max("Unit".Length, rows.Max(r => r.Unit.Length));
        text.AppendLine($"| {"Metric".PadRight(nameWidth)} | {"Value".PadLeft(valueWidth)} | {"Unit".PadRight(unitWidth)} |");
        text.AppendLine($"|{new string('-', nameWidth + 2)}|{new string('-', valueWidth + 2)}|{new string('-', unitWidth + 2)}|");
        foreach (var (name, value, unit) in rows)
            text.AppendLine($"| {name.PadRight(nameWidth)} | {value.PadLeft(valueWidth)} | {unit.PadRight(unitWidth)} |");
        return text.ToString();
    }

    public static async Task<string> WriteJsonAsync(ScenarioResult result, MachineInfo machine, DateTimeOffset startedAt, string? path)
    {
        path ??= Path.Combine("BenchmarkResults", $"{result.Scenario}-{startedAt:yyyyMMdd'T'HHmmss}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var document = new
        {
            result.Scenario,
            StartedAt = startedAt,
            Machine = machine,
            result.Headline,
            result.Parameters,
            result.Metrics,
            Charts = result.Charts.Select(c => new
            {
                c.Name, c.Title, c.XTitle, c.YTitle, c.RightAxisTitle,
                Series = c.Series.Select(s => SeriesJson(s, null)).Concat((c.RightAxisSeries ?? []).Select(s => SeriesJson(s, "right"))),
            }),
        };
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(document, Json));
        WriteCharts(result.Charts, path, machine, startedAt);
        return Path.GetFullPath(path);
    }

    private static object SeriesJson(ChartSeries series, string? axis) =>
        new { series.Name, Axis = axis, Points = series.Points.Select(p => new[] { p.X, p.Y }) };

    /// <summary>Each chart as <c>&lt;result&gt;-&lt;chart&gt;.svg</c> next to the result's JSON file.</summary>
    private static IReadOnlyList<string> WriteCharts(IEnumerable<Chart> charts, string resultPath, MachineInfo machine, DateTimeOffset startedAt)
    {
        var written = new List<string>();
        foreach (var chart in charts)
        {
            var svg = Path.ChangeExtension(resultPath, null) + $"-{chart.Name}.svg";
            ChartRenderer.WriteSvg(chart, svg, machine, startedAt);
            written.Add(Path.GetFullPath(svg));
        }
        return written;
    }

    /// <summary>
    /// Draws the charts of a result written earlier again (after a change of the renderer, without measuring again).
    /// </summary>
    public static async Task<IReadOnlyList<string>> RedrawChartsAsync(string resultPath)
    {
        var saved = JsonSerializer.Deserialize<SavedResult>(await File.ReadAllTextAsync(resultPath), Json)
            ?? throw new InvalidDataException($"{resultPath} is not a benchmark result");
        var charts = (saved.Charts ?? []).Select(c =>
        {
            ChartSeries Series(SavedSeries s) => new(s.Name, s.Points.Select(p => p.Length == 2 ? (p[0], p[1]) : throw new InvalidDataException(
                $"{resultPath}: a point of series '{s.Name}' in chart '{c.Name}' is not [x, y]")).ToList());
            var right = c.Series.Where(s => s.Axis == "right").Select(Series).ToList();
            return new Chart(c.Name, c.Title, c.XTitle, c.YTitle, c.Series.Where(s => s.Axis != "right").Select(Series).ToList(),
                right.Count > 0 ? c.RightAxisTitle : null, right.Count > 0 ? right : null);
        }).ToList();
        if (charts.Count == 0) throw new InvalidDataException($"{resultPath} holds no chart");
        return WriteCharts(charts, resultPath, saved.Machine, saved.StartedAt);
    }

    private sealed record SavedResult(DateTimeOffset StartedAt, MachineInfo Machine, List<SavedChart>? Charts);
    private sealed record SavedChart(string Name, string Title, string XTitle, string YTitle, string? RightAxisTitle, List<SavedSeries> Series);
    private sealed record SavedSeries(string Name, string? Axis, List<double[]> Points);
}
