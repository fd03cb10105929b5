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
                Series = c.Series.Concat(c.RightAxisSeries ?? []).Select(s => new { s.Name, Points = s.Points.Select(p => new[] { p.X, p.Y }) }),
            }),
        };
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(document, Json));
        foreach (var chart in result.Charts)
            ChartRenderer.WriteSvg(chart, Path.ChangeExtension(path, null) + $"-{chart.Name}.svg", machine);
        return Path.GetFullPath(path);
    }
}
